// heed's seq2seq and decoder models against the PyTorch reference models of
// benchmarks/torch_reference.py, both ways (eval mode, so no dropout):
//   heed's weights loaded into torch, and torch's weights loaded into heed, give the same
//   logits, loss, every parameter gradient and parameters after one AdamW step, within 1e-4
//   relative (|difference| ≤ 1e-4 · max |torch value| per tensor, elementwise; after the AdamW
//   step plus lr·|u(g_heed) − u(g_torch)|, u(g) = g/(|g|+eps), the difference AdamW's first
//   update makes of two gradients that agree — see tests/tools/torch_equivalence.py).
// Needs /usr/bin/python3 with Debian's python3-torch. Without torch the test skips, except when
// CI=true: then it fails, because CI must run it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "framework/io/checkpoint.h"
#include "framework/io/safetensors.h"
#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "models/seq2seq.h"
#include "tests/models/model_test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;

std::string source_dir() {
  const char* s = std::getenv("HEED_SOURCE_DIR");
  return s ? s : ".";
}

bool torch_available() {
  return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

void require_torch() {
  if (torch_available()) return;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true")
    FAIL() << "python3-torch is missing in CI (apt-get install python3-torch)";
  GTEST_SKIP() << "python3-torch not installed";
}

struct Case {
  bool seq2seq;
  TransformerConfig config;
  std::string json;
};

Case make_case(bool seq2seq) {
  Case c;
  c.seq2seq = seq2seq;
  c.config = testing::sized<TransformerConfig>(
      16, {.d_model = 32, .heads = 4, .d_ff = 64, .dropout = 0.1f});
  c.config.encoder_layers = 2;
  c.config.decoder_layers = 2;
  c.json =
      std::string("{\"kind\": \"") + (seq2seq ? "seq2seq" : "lm") +
      "\", \"vocab\": 16, \"d_model\": 32, \"nhead\": 4, \"enc_layers\": 2, \"dec_layers\": 2, "
      "\"layers\": 2, \"d_ff\": 64, \"seq_len\": 7, \"lr\": 0.001, \"weight_decay\": 0.01}";
  return c;
}

fs::path fresh_dir(const std::string& name) {
  fs::path d =
      fs::path(::testing::TempDir()) / ("heed_torch_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs forward, loss, backward and one AdamW step on `model` with the inputs in `inputs`,
// returning every tensor torch_equivalence.py compares.
template <class Model>
NamedTensors run(Model& model, bool seq2seq, const NamedTensors& inputs) {
  model.eval();
  auto get = [&](const char* n) { return *find_tensor(inputs, n); };
  Tensor labels = get("labels");
  Tensor logits;
  if constexpr (std::is_same_v<Model, Seq2Seq>)
    logits = model.forward(get("src"), get("dec_in"));
  else
    logits = model.forward(get("inp"));
  (void)seq2seq;
  Tensor loss = cross_entropy(logits, labels);
  loss.backward();
  NamedTensors out = {{"logits", logits.detach()}, {"loss", loss.detach()}};
  for (const auto& [name, p] : model.named_parameters())
    out.emplace_back("grad." + name, p.grad().clone());
  AdamW opt(model.named_parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.01);
  opt.step();
  for (const auto& [name, p] : model.named_parameters())
    out.emplace_back("after." + name, p.clone());
  return out;
}

NamedTensors make_inputs(bool seq2seq) {
  Rng rng(3);
  auto ids = [&](int64_t first) {
    std::vector<int64_t> v(3 * 7);
    for (auto& x : v) x = rng.randint(3, 16);
    if (first >= 0)
      for (int b = 0; b < 3; ++b) v[b * 7] = first;
    return Tensor::from_ints(v, {3, 7});
  };
  if (seq2seq) return {{"src", ids(-1)}, {"dec_in", ids(1)}, {"labels", ids(-1)}};
  return {{"inp", ids(1)}, {"labels", ids(-1)}};
}

template <class Model>
void heed_to_torch(const Case& c) {
  seed_init(1234);
  Model model(c.config);
  fs::path d = fresh_dir(std::string(c.seq2seq ? "s2s" : "lm") + "_a");
  std::ofstream(d / "config.json") << c.json;
  save_safetensors((d / "weights.safetensors").string(), model.named_parameters());
  NamedTensors inputs = make_inputs(c.seq2seq);
  NamedTensors out = run(model, c.seq2seq, inputs);
  inputs.insert(inputs.end(), out.begin(), out.end());
  save_safetensors((d / "case.safetensors").string(), inputs);
  std::string cmd =
      "/usr/bin/python3 " + source_dir() + "/tests/tools/torch_equivalence.py check " + d.string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  fs::remove_all(d);
}

template <class Model>
void torch_to_heed(const Case& c) {
  fs::path d = fresh_dir(std::string(c.seq2seq ? "s2s" : "lm") + "_b");
  std::ofstream(d / "config.json") << c.json;
  std::string cmd =
      "/usr/bin/python3 " + source_dir() + "/tests/tools/torch_equivalence.py make " + d.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Model model(c.config);
  load_parameters_into(model.named_parameters(),
                       load_safetensors((d / "weights.safetensors").string()), "torch weights");
  SafetensorsData want = load_safetensors((d / "case.safetensors").string());
  NamedTensors inputs;
  for (const char* n : {"src", "dec_in", "inp", "labels"})
    if (const Tensor* t = find_tensor(want.tensors, n)) inputs.emplace_back(n, *t);
  NamedTensors got = run(model, c.seq2seq, inputs);
  ASSERT_EQ(got.size() + inputs.size(), want.tensors.size());
  auto adam_direction = [](float g) {
    return static_cast<double>(g) / (std::fabs(static_cast<double>(g)) + 1e-8);
  };
  for (const auto& [name, g] : got) {
    const Tensor* w = find_tensor(want.tensors, name);
    ASSERT_NE(w, nullptr) << name;
    ASSERT_EQ(g.shape(), w->shape()) << name;
    std::vector<float> gv = g.to_vector(), wv = w->to_vector();
    std::vector<float> grad_got, grad_want;
    if (name.rfind("after.", 0) == 0) {
      std::string grad = "grad." + name.substr(6);
      grad_got = find_tensor(got, grad)->to_vector();
      grad_want = find_tensor(want.tensors, grad)->to_vector();
    }
    double scale = 0;
    for (float x : wv) scale = std::max(scale, static_cast<double>(std::fabs(x)));
    for (std::size_t i = 0; i < wv.size(); ++i) {
      double allowance =
          grad_got.empty()
              ? 0.0
              : 1e-3 * std::fabs(adam_direction(grad_got[i]) - adam_direction(grad_want[i]));
      ASSERT_LE(std::fabs(gv[i] - wv[i]), 1e-4 * scale + 1e-7 + allowance)
          << name << " element " << i;
    }
  }
  fs::remove_all(d);
}

// Each test needs python3-torch: SetUp skips without it (fails under CI=true), before the body.
class TorchReference : public ::testing::Test {
 protected:
  void SetUp() override { require_torch(); }
};

TEST_F(TorchReference, Seq2SeqHeedWeightsInTorch) {
  heed_to_torch<Seq2Seq>(make_case(true));
}

TEST_F(TorchReference, Seq2SeqTorchWeightsInHeed) {
  torch_to_heed<Seq2Seq>(make_case(true));
}

TEST_F(TorchReference, DecoderHeedWeightsInTorch) {
  heed_to_torch<DecoderLM>(make_case(false));
}

TEST_F(TorchReference, DecoderTorchWeightsInHeed) {
  torch_to_heed<DecoderLM>(make_case(false));
}

}  // namespace
}  // namespace heed
