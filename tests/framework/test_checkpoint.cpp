// Checkpoint directories: round trips, verification (checksums, format version), loading
// parameters by name, and crash safety (a forked child dies at every fault point of a save).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "framework/io/atomic_file.h"
#include "framework/io/checkpoint.h"
#include "tests/framework/io_test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;
using testing::same_tensors;
using testing::ScratchDir;
using testing::throws_error;

NamedTensors params(float base) {
  return {
      {"transformer.encoder.layers.0.self_attn.in_proj_weight",
       Tensor::uniform({6, 2}, 1, base, base + 1)},
      {"transformer.encoder.layers.0.self_attn.in_proj_bias", Tensor::full({6}, base)},
      {"embedding.weight", Tensor::randn({5, 2}, 2)},
  };
}

// Optimizer-like state plus what every checkpoint carries: the step and the RNG position.
NamedTensors trainer_state(int64_t step) {
  return {
      {"optimizer.exp_avg.embedding.weight", Tensor::full({5, 2}, static_cast<float>(step))},
      {"optimizer.exp_avg_sq.embedding.weight", Tensor::zeros({5, 2})},
      {"step", Tensor::from_ints({step}, {}, DType::I64)},
      {"rng", Tensor::from_ints({1234, step * 10}, {2}, DType::I64)},
  };
}

const std::map<std::string, std::string> kMeta = {{"config", "model:\n  d_model: 8\n"},
                                                  {"run_name", "copy-task"}};

void save(const std::string& dir, int64_t step) {
  save_checkpoint(dir, params(static_cast<float>(step)), trainer_state(step), kMeta);
}

int64_t step_of(const Checkpoint& ck) {
  return find_tensor(ck.trainer_state, "step")->to_ints()[0];
}

// Flips one bit of the last data byte of a safetensors file.
void flip_last_data_byte(const std::string& path) {
  std::string bytes = read_file(path);
  bytes.back() = static_cast<char>(bytes.back() ^ 0x10);
  write_file_atomically(path, bytes);
}

TEST(Checkpoint, RoundTripsParametersStateAndMetadata) {
  ScratchDir root;
  const std::string dir = root / "ck";
  save(dir, 7);
  EXPECT_EQ(root.entries(), std::vector<std::string>{"ck"});  // no .tmp or .old left
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"model.safetensors", "trainer.safetensors"}));

  const Checkpoint ck = load_checkpoint(dir);
  EXPECT_TRUE(same_tensors(ck.params, params(7)));
  EXPECT_TRUE(same_tensors(ck.trainer_state, trainer_state(7)));
  EXPECT_EQ(step_of(ck), 7);
  EXPECT_EQ(ck.metadata.at("format_version"), "1");
  EXPECT_EQ(ck.metadata.at("config"), kMeta.at("config"));
  EXPECT_EQ(ck.metadata.at("run_name"), "copy-task");
  EXPECT_EQ(ck.metadata.at("checksum_algorithm"), "crc32c");
  EXPECT_EQ(ck.metadata.at("model_checksum").size(), 8u);
  EXPECT_EQ(ck.metadata.at("trainer_checksum").size(), 8u);

  // model.safetensors holds the parameters and nothing else, as strict load_state_dict needs.
  const SafetensorsData model = load_safetensors(dir + "/model.safetensors");
  EXPECT_TRUE(same_tensors(model.tensors, params(7)));
  EXPECT_EQ(model.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
}

TEST(Checkpoint, ReplacesAnExistingCheckpointAndAcceptsATrailingSlash) {
  ScratchDir root;
  save(root / "ck", 1);
  save(root / "ck/", 2);
  EXPECT_EQ(step_of(load_checkpoint(root / "ck")), 2);
  EXPECT_TRUE(same_tensors(load_checkpoint(root / "ck/").params, params(2)));
  save(root / "nested/deeper/ck", 3);  // parents are created
  EXPECT_EQ(step_of(load_checkpoint(root / "nested/deeper/ck")), 3);
  EXPECT_EQ(root.entries(), (std::vector<std::string>{"ck", "nested"}));
}

TEST(Checkpoint, AFlippedDataByteIsRefusedNamingTheFile) {
  ScratchDir root;
  const std::string dir = root / "ck";
  for (const char* file : {"model.safetensors", "trainer.safetensors"}) {
    save(dir, 3);
    const std::string path = dir + "/" + file;
    flip_last_data_byte(path);
    EXPECT_TRUE(throws_error([&] { load_checkpoint(dir); }, path + ": ", "checksum mismatch"))
        << file;
  }
}

// Saves a checkpoint, sets `key` of its trainer file's metadata to `value` (erases it when none)
// behind the checksums' back: loading must then be refused, naming the file, with `fragment`.
::testing::AssertionResult refused_with_trainer_metadata(const std::string& key,
                                                         const std::optional<std::string>& value,
                                                         const std::string& fragment) {
  ScratchDir root;
  const std::string dir = root / "ck";
  save(dir, 3);
  const std::string path = dir + "/trainer.safetensors";
  SafetensorsData t = load_safetensors(path);
  if (value)
    t.metadata[key] = *value;
  else
    t.metadata.erase(key);
  save_safetensors(path, t.tensors, t.metadata);
  return throws_error([&] { load_checkpoint(dir); }, path + ": ", fragment);
}

TEST(Checkpoint, AnEditedConfigIsRefused) {
  EXPECT_TRUE(refused_with_trainer_metadata("config", "model:\n  d_model: 9\n",
                                            "checksum mismatch (trainer_checksum"));
}

TEST(Checkpoint, WrongOrMissingFormatVersionIsRefused) {
  EXPECT_TRUE(refused_with_trainer_metadata(
      "format_version", "2", "format_version '2' is not supported (this build reads '1')"));
  EXPECT_TRUE(refused_with_trainer_metadata(
      "format_version", std::nullopt,
      "no \"format_version\" in __metadata__ (not a heed checkpoint?)"));
}

TEST(Checkpoint, MissingOrCorruptFilesAreNamed) {
  ScratchDir root;
  EXPECT_TRUE(throws_error([&] { load_checkpoint(root / "none"); },
                           root / "none: ", "no such checkpoint directory"));
  const std::string dir = root / "ck";
  save(dir, 3);
  fs::remove(dir + "/model.safetensors");
  EXPECT_TRUE(throws_error([&] { load_checkpoint(dir); },
                           dir + "/model.safetensors: ", "No such file or directory"));
  write_file_atomically(dir + "/model.safetensors", "garbage!garbage");
  EXPECT_TRUE(throws_error([&] { load_checkpoint(dir); }, dir + "/model.safetensors: ", "exceeds"));
}

TEST(Checkpoint, SaveValidatesItsInputsBeforeTouchingTheDisk) {
  ScratchDir root;
  const std::string dir = root / "ck";
  NamedTensors no_step = trainer_state(1);
  no_step.erase(no_step.begin() + 2);
  EXPECT_TRUE(throws_error([&] { save_checkpoint(dir, params(1), no_step, kMeta); }, dir + ": ",
                           "trainer state has no \"step\" tensor"));
  NamedTensors float_rng = trainer_state(1);
  float_rng[3].second = Tensor::zeros({2});
  EXPECT_TRUE(throws_error([&] { save_checkpoint(dir, params(1), float_rng, kMeta); }, dir + ": ",
                           "trainer state \"rng\" must be an int64 tensor"));
  EXPECT_TRUE(throws_error([&] { save_checkpoint(dir, params(1), trainer_state(1), {}); },
                           dir + ": ", "needs \"config\""));
  auto reserved = kMeta;
  reserved["model_checksum"] = "0";
  EXPECT_TRUE(throws_error([&] { save_checkpoint(dir, params(1), trainer_state(1), reserved); },
                           dir + ": ", "\"model_checksum\" is set by save_checkpoint"));
  NamedTensors dup = params(1);
  dup.push_back(dup[0]);
  EXPECT_TRUE(throws_error([&] { save_checkpoint(dir, dup, trainer_state(1), kMeta); },
                           dir + "/model.safetensors: ", "the name appears twice"));
  NamedTensors undefined = trainer_state(1);
  undefined.push_back({"optimizer.momentum", Tensor()});
  EXPECT_TRUE(throws_error([&] { save_checkpoint(dir, params(1), undefined, kMeta); },
                           dir + "/trainer.safetensors: ", "'optimizer.momentum' is undefined"));
  EXPECT_TRUE(root.entries().empty());
}

TEST(Checkpoint, RefusesToReplaceADirectoryThatIsNotACheckpoint) {
  ScratchDir root;
  const std::string dir = root / "run";
  fs::create_directory(dir);
  write_file_atomically(dir + "/metrics.jsonl", "{}\n");
  EXPECT_TRUE(throws_error([&] { save(dir, 1); }, dir + ": ", "refusing to replace it"));
  EXPECT_EQ(read_file(dir + "/metrics.jsonl"), "{}\n");
  write_file_atomically(root / "file", "x");
  EXPECT_TRUE(throws_error([&] { save(root / "file", 1); }, root / "file: ", "not a directory"));
  fs::create_directory(root / "empty");
  save(root / "empty", 1);  // an empty directory is fine
  EXPECT_EQ(step_of(load_checkpoint(root / "empty")), 1);
}

TEST(Checkpoint, AFailedSaveKeepsTheOldCheckpoint) {
  ScratchDir root;
  const std::string dir = root / "ck";
  save(dir, 1);
  for (const std::string point : {"after_temp_write", "before_rename", "checkpoint_before_swap"}) {
    set_fault_hook([&](const char* p) {
      if (point == p) throw Error("injected failure");
    });
    EXPECT_THROW(save(dir, 2), Error) << point;
    set_fault_hook(nullptr);
    EXPECT_EQ(step_of(load_checkpoint(dir)), 1) << point;
    EXPECT_EQ(root.entries(), std::vector<std::string>{"ck"}) << point;
  }
}

// A crash at any moment of a save leaves the old or the new checkpoint, complete. A forked child
// saves checkpoint 2 over checkpoint 1 and dies (_exit, no cleanup) at the n-th fault point;
// the parent then loads whatever is on disk.
TEST(Checkpoint, ACrashAtAnyPointLeavesTheOldOrTheNewCheckpoint) {
  int crashes = 0;
  bool saw_old = false, saw_new = false;
  for (bool first_save : {false, true}) {
    for (int n = 1;; ++n) {
      ScratchDir root;
      const std::string dir = root / "ck";
      if (!first_save) save(dir, 1);
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        int hits = 0;
        set_fault_hook([&](const char*) {
          if (++hits == n) _exit(42);
        });
        try {
          save(dir, 2);
        } catch (...) {
          _exit(1);
        }
        _exit(0);  // finished without reaching the n-th point
      }
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      ASSERT_NE(WEXITSTATUS(status), 1) << "save failed in the child";
      if (WEXITSTATUS(status) == 0) break;
      ++crashes;
      SCOPED_TRACE("crash at fault point " + std::to_string(n) +
                   (first_save ? " of a first save" : " of a replacing save"));
      if (first_save && !fs::exists(dir) && !fs::exists(dir + ".old")) {
        EXPECT_THROW(load_checkpoint(dir), Error);  // nothing was ever complete: nothing to load
      } else {
        const Checkpoint ck = load_checkpoint(dir);
        const int64_t step = step_of(ck);
        ASSERT_TRUE(step == 1 || step == 2) << step;
        (step == 1 ? saw_old : saw_new) = true;
        EXPECT_TRUE(same_tensors(ck.params, params(static_cast<float>(step))));
        EXPECT_TRUE(same_tensors(ck.trainer_state, trainer_state(step)));
      }
      // The next save cleans up whatever the crash left behind.
      save(dir, 3);
      EXPECT_EQ(step_of(load_checkpoint(dir)), 3);
      EXPECT_EQ(root.entries(), std::vector<std::string>{"ck"});
    }
  }
  EXPECT_GE(crashes, 14);  // 6 points in file writes + swap points, for both kinds of save
  EXPECT_TRUE(saw_old);
  EXPECT_TRUE(saw_new);
}

// Filesystems without RENAME_EXCHANGE take two renames; a crash between them leaves <dir>.old
// (complete old) and <dir>.tmp (complete new) but no <dir>. Built by hand here.
TEST(Checkpoint, RecoversFromACrashBetweenTheTwoRenames) {
  ScratchDir root;
  const std::string dir = root / "ck";
  save(root / "ck.old", 1);
  save(root / "ck.tmp", 2);
  EXPECT_EQ(step_of(load_checkpoint(dir)), 1);
  save(dir, 3);
  EXPECT_EQ(step_of(load_checkpoint(dir)), 3);
  EXPECT_EQ(root.entries(), std::vector<std::string>{"ck"});
}

// model.safetensors is what PyTorch's strict load_state_dict takes: a real torch module (named
// and shaped as torch names them) loads it and holds the very same values.
TEST(Checkpoint, ModelFileLoadsIntoPyTorchStrictly) {
  if (!testing::have_python()) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  int status = 0;
  const nlohmann::json spec = testing::run_python("torch-spec", &status);
  if (status == 77) GTEST_SKIP() << "PyTorch is not installed";
  ASSERT_EQ(status, 0);
  NamedTensors torch_params;
  uint64_t seed = 10;
  for (const auto& p : spec)
    torch_params.emplace_back(p.at("name").get<std::string>(),
                              Tensor::randn(p.at("shape").get<Shape>(), seed++));
  ASSERT_EQ(torch_params.size(), 12u);
  ScratchDir root;
  save_checkpoint(root / "ck", torch_params, trainer_state(1), kMeta);
  const nlohmann::json loaded =
      testing::run_python("torch-load '" + root / "ck/model.safetensors" + "'");
  testing::expect_matches_dump({torch_params, {}}, loaded);
}

// --- load_parameters_into ---------------------------------------------------------------------

TEST(LoadParameters, CopiesByNameIntoExistingTensorsWithoutAutograd) {
  NamedTensors model = params(0);
  for (auto& [name, t] : model) t.set_requires_grad();
  // A non-contiguous destination (a transposed view of a parameter's storage) works as well.
  Tensor base = Tensor::zeros({2, 6});
  model[0].second = base.transpose(0, 1);
  const NamedTensors src = params(5);
  load_parameters_into(model, src, "src.safetensors");
  EXPECT_TRUE(same_tensors(model, src));
  EXPECT_TRUE(model[1].second.requires_grad());
  EXPECT_TRUE(model[1].second.is_leaf());
  EXPECT_EQ(base.transpose(0, 1).to_vector(), src[0].second.to_vector());
}

TEST(LoadParameters, RefusesMismatchesBeforeCopyingAnything) {
  const std::string file = "run/ck/model.safetensors";
  auto untouched = [](const NamedTensors& model) { return same_tensors(model, params(0)); };

  NamedTensors model = params(0);
  NamedTensors wrong_shape = params(5);
  wrong_shape[2].second = Tensor::zeros({2, 5});  // the last one, so earlier ones would be copied
  EXPECT_TRUE(throws_error([&] { load_parameters_into(model, wrong_shape, file); }, file + ": ",
                           "parameter 'embedding.weight' is (2, 5) float32 in the file but "
                           "(5, 2) float32 in the model"));
  EXPECT_TRUE(untouched(model));

  NamedTensors wrong_dtype = params(5);
  wrong_dtype[2].second = Tensor::zeros({5, 2}, DType::I32);
  EXPECT_TRUE(throws_error([&] { load_parameters_into(model, wrong_dtype, file); }, file + ": ",
                           "(5, 2) int32 in the file but (5, 2) float32 in the model"));

  NamedTensors missing = params(5);
  missing.pop_back();
  EXPECT_TRUE(throws_error([&] { load_parameters_into(model, missing, file); }, file + ": ",
                           "parameter 'embedding.weight' is missing"));

  NamedTensors extra = params(5);
  extra.push_back({"decoder.weight", Tensor::zeros({1})});
  EXPECT_TRUE(throws_error([&] { load_parameters_into(model, extra, file); }, file + ": ",
                           "unexpected parameter 'decoder.weight' (not in the model)"));

  NamedTensors renamed = params(5);
  renamed[0].first = "transformer.encoder.layers.0.self_attn.in_proj_weight_";
  EXPECT_TRUE(throws_error(
      [&] { load_parameters_into(model, renamed, file); }, file + ": ",
      "parameter 'transformer.encoder.layers.0.self_attn.in_proj_weight' is missing (and 1 more "
      "problems)"));
  EXPECT_TRUE(untouched(model));
}

// A parameters-only file written elsewhere (no metadata, no checksums, its own layout) loads.
TEST(LoadParameters, LoadsAParametersOnlyFileFromElsewhere) {
  ScratchDir dir;
  const std::string path = dir / "model.safetensors";
  // The layout PyTorch's safetensors writes for a state dict: no __metadata__, sorted names.
  std::string header = "{";
  std::string data;
  NamedTensors sorted = params(4);
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (const auto& [name, t] : sorted) {
    const std::string bytes = testing::raw_bytes(t);
    if (header.size() > 1) header += ", ";
    header +=
        "\"" + name + "\": {\"dtype\": \"F32\", \"shape\": " +
        (t.dim() == 1 ? "[" + std::to_string(t.size(0)) + "]"
                      : "[" + std::to_string(t.size(0)) + ", " + std::to_string(t.size(1)) + "]") +
        ", \"data_offsets\": [" + std::to_string(data.size()) + ", " +
        std::to_string(data.size() + bytes.size()) + "]}";
    data += bytes;
  }
  header += "}";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  write_file_atomically(path, file + header + data);

  NamedTensors model = params(0);
  load_parameters_into(model, load_safetensors(path), path);
  EXPECT_TRUE(same_tensors(model, params(4)));
}

}  // namespace
}  // namespace heed
