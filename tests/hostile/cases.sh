# The hostile-input cases, sourced by run.sh: one line each,
#   hostile NAME NEEDLE HEED_ARGS...
# NEEDLE is text the one-line error must contain (the file, key or argument at fault). $C is
# inputs/, $F the fixtures run.sh prepares (a trained run $RUN, damaged copies of its
# checkpoint and a ListOps tree run $TREE), and each case runs in its own empty working directory.

# Malformed YAML and hostile structure.
hostile tab_indent              tab_indent.yaml:2              train "$C/tab_indent.yaml"
hostile unclosed_flow           unclosed_flow.yaml:2           train "$C/unclosed_flow.yaml"
hostile duplicate_key           duplicate_key.yaml:4:3         train "$C/duplicate_key.yaml"
hostile section_is_scalar       'model: must be a mapping'     train "$C/section_is_scalar.yaml"
hostile top_level_list          top_level_list.yaml            train "$C/top_level_list.yaml"
hostile key_without_value       'train.steps: has no value'    train "$C/key_without_value.yaml"
hostile self_alias              'self_alias.yaml:1:1: a:'      train "$C/self_alias.yaml"
hostile empty_file              empty.yaml                     train "$C/empty.yaml"
hostile whitespace_only         whitespace_only.yaml           train "$C/whitespace_only.yaml"
hostile binary_garbage          binary_garbage.yaml            train "$C/binary_garbage.yaml"
hostile deep_brackets           deep_brackets.yaml:1           train "$C/deep_brackets.yaml"
hostile deep_flow_maps          deep_flow_maps.yaml:1          train "$C/deep_flow_maps.yaml"
hostile deep_block_maps         deep_block_maps.yaml:1:1       train "$C/deep_block_maps.yaml"

# Wrong types.
hostile steps_is_list           train.steps                    train "$C/steps_is_list.yaml"
hostile d_model_is_word         model.d_model                  train "$C/d_model_is_word.yaml"
hostile nesterov_not_bool       train.optimizer.nesterov       train "$C/nesterov_not_bool.yaml"
hostile lr_nan                  train.optimizer.lr             train "$C/lr_nan.yaml"

# Negative, zero and huge sizes; inconsistent values.
hostile vocab_1e12              task.vocab                     train "$C/vocab_1e12.yaml"
hostile batch_size_negative     train.batch_size               train "$C/batch_size_negative.yaml"
hostile d_model_zero            model.d_model                  train "$C/d_model_zero.yaml"
hostile steps_overflow          train.steps                    train "$C/steps_overflow.yaml"
hostile steps_huge              train.steps                    train "$C/steps_huge.yaml"
hostile threads_negative        threads                        train "$C/threads_negative.yaml"
hostile seed_negative           seed                           train "$C/seed_negative.yaml"
hostile eval_length_zero        task.eval_lengths              train "$C/eval_length_zero.yaml"
hostile heads_do_not_divide     model.heads                    train "$C/heads_do_not_divide.yaml"
hostile min_len_above_max_len   task.max_len                   train "$C/min_len_above_max_len.yaml"
hostile warmup_negative         train.schedule.warmup          train "$C/warmup_negative.yaml"

# Unknown names and options.
hostile unknown_task            "'copyy'"                      train "$C/unknown_task.yaml"
hostile unknown_model           "'transformer'"                train "$C/unknown_model.yaml"
hostile unknown_attention       "'flash'"                      train "$C/unknown_attention.yaml"
hostile unknown_attention_opt   "unknown option 'width'"       train "$C/unknown_attention_option.yaml"
hostile bad_attention_option    "option 'width' = -2"          train "$C/bad_attention_option.yaml"
hostile attention_without_type  model.attention.type           train "$C/attention_without_type.yaml"
hostile misspelt_key            "model.d_modle: unknown key (did you mean 'd_model'?)" \
  train "$C/misspelt_key.yaml"
hostile unknown_section         "trian: unknown key"           train "$C/unknown_section.yaml"
hostile unknown_stop_metric     train.stop_at.bleu             train "$C/unknown_stop_metric.yaml"

# Missing and unusable files: the config, the task's data, the run directory.
hostile config_missing          no_such.yaml                   train "$C/no_such.yaml"
hostile config_through_file     "empty.yaml/x.yaml: cannot open: Not a directory" \
  train "$C/empty.yaml/x.yaml"
hostile config_is_directory     "is a directory"               train "$C"
hostile config_is_device        "/dev/full: is not a regular file"  train /dev/full
hostile file_task_without_train task.train                     train "$C/file_task_without_train.yaml"
hostile file_task_missing_file  no_such_train.tsv              train "$C/file_task_missing_file.yaml"
hostile file_task_through_file  empty.yaml/train.tsv           train "$C/file_task_path_through_file.yaml"
hostile file_task_binary_file   binary_garbage.yaml            train "$C/file_task_binary_file.yaml"
hostile file_task_empty_file    empty.yaml                     train "$C/file_task_empty_file.yaml"
hostile tree_file_unclosed      "trees_unclosed.tsv:2:1: '[' is never closed" \
  train "$C/tree_file_unclosed.yaml"
hostile tree_file_two_atom_class "trees_two_atom_class.tsv:2: a class target is one atom" \
  train "$C/tree_file_two_atom_class.yaml"
hostile tree_file_reserved      "trees_reserved.tsv:2: '<pad>' is a reserved token" \
  train "$C/tree_file_reserved.yaml"
hostile tree_file_binary        "trees_binary.tsv:2:11: trailing text" train "$C/tree_file_binary.yaml"
hostile tree_file_bad_target    "tree_file_bad_target.yaml:1:69: task.target" \
  train "$C/tree_file_bad_target.yaml"
hostile tree_file_needs_classifier "task 'file' is classification" \
  train "$C/tree_file_needs_classifier.yaml"
hostile data_of_file_task       "only generated tasks write theirs" data "$src/configs/file_example.yaml"
hostile data_bad_split          --split                        data --split dev
hostile train_file_not_file_task task.train                    train "$C/train_file_for_generated_task.yaml"
hostile out_dir_through_file    "out_dir $F/regular_file/run"  train "$C/d_model_is_word.yaml" \
  --set model.d_model=8 --set model.heads=2 --set out_dir="$F/regular_file/run"
hostile out_dir_is_dev_full     "out_dir /dev/full"            train "$src/tests/hostile/tiny_run.yaml" \
  --set out_dir=/dev/full
hostile out_dir_under_dev_full  "out_dir /dev/full/run"        train "$src/tests/hostile/tiny_run.yaml" \
  --set out_dir=/dev/full/run

# --set overrides.
hostile set_without_equals      "--set train.steps:"           train --set train.steps
hostile set_empty_key           "--set =5"                     train --set =5
hostile set_empty_component     "--set train..steps=5"         train --set train..steps=5
hostile set_unknown_key         "--set nosuch.key=1: nosuch"   train --set nosuch.key=1
hostile set_wrong_type          "--set train.steps=many"       train --set train.steps=many
hostile set_invalid_yaml        "--set train.steps=[1"         train --set 'train.steps=[1'
hostile set_through_scalar      "'d_model' is not a section"   train --set model.d_model.x=1
hostile set_out_of_range        "--set model.d_model=0"        config show --set model.d_model=0

# Command-line arguments.
hostile no_subcommand           "subcommand is required"
hostile unknown_subcommand      frobnicate                     frobnicate
hostile unknown_flag            --frobnicate                   train --frobnicate
hostile list_unknown            widgets                        list widgets
hostile eval_without_path       path                           eval
hostile eval_zero_examples      --examples                     eval "$RUN" --examples 0
hostile predict_beam_zero       --beam                         predict "$RUN" "3 4" --beam 0
hostile resume_missing          no_such_run                    train --resume "$F/no_such_run"
hostile resume_with_config      "--resume takes the run's own config" \
  train "$C/empty.yaml" --resume "$RUN"
hostile resume_bad_metrics       'bad_metrics_run/metrics.jsonl: a line' train --resume "$F/bad_metrics_run"
hostile resume_bad_config       bad_config_run/config.yaml:2   train --resume "$F/bad_config_run"
hostile resume_other_model      model.safetensors              train --resume "$RUN" --set model.d_model=16

# Runs and checkpoints: missing, not a run, damaged.
hostile eval_missing_dir        "no_such_run: no such run"     eval "$F/no_such_run"
hostile eval_not_a_run          "not a run directory"          eval "$C"
hostile eval_no_checkpoint      "no_checkpoint_run: the run has no checkpoint" eval "$F/no_checkpoint_run"
hostile eval_truncated_model    truncated_model/model.safetensors  eval "$F/truncated_model"
hostile eval_flipped_trainer    flipped_trainer/trainer.safetensors eval "$F/flipped_trainer"
hostile eval_no_model_file      no_model/model.safetensors     eval "$F/no_model"
hostile eval_garbage_trainer    garbage_trainer/trainer.safetensors eval "$F/garbage_trainer"
hostile eval_empty_model        empty_model/model.safetensors  eval "$F/empty_model"
hostile predict_out_of_vocab    "'99' is not a data token id"  predict "$RUN" "3 99"
hostile predict_not_a_number    "'x' is not a data token id"   predict "$RUN" "3 x"
hostile predict_no_tokens       "the input has no tokens"      predict "$RUN" " "
hostile predict_damaged         truncated_model/model.safetensors predict "$F/truncated_model" "3 4"
hostile export_to_dev_full      /dev/full                      export "$RUN" --to /dev/full
hostile export_under_dev_full   /dev/full/model.safetensors    export "$RUN" --to /dev/full/model.safetensors
hostile export_through_file     regular_file/model.safetensors export "$RUN" --to "$F/regular_file/model.safetensors"
hostile export_damaged          flipped_trainer/trainer.safetensors export "$F/flipped_trainer" --to "$F/out.safetensors"

# Tree S-expressions through the CLI (predict on a tree run): positioned parse errors.
hostile tree_unclosed           "input:1:1: '[' is never closed"   predict "$TREE" "[MAX 2 9"
hostile tree_stray_close        "input:1:1: unexpected ']'"        predict "$TREE" "]"
hostile tree_empty_node         "input:1:1: empty node"            predict "$TREE" "[ ]"
hostile tree_unknown_operator   "input:1:2: unknown token 'FOO'"   predict "$TREE" "[FOO 1 2 ]"
hostile tree_bad_token          "input:1:8: unknown token 'x'"     predict "$TREE" "[MAX 2 x ]"
hostile tree_binary             "input:1:1: bad byte 0x01"         predict "$TREE" $'\x01\x02\xff'
hostile tree_deep_nesting       "deeper than the maximum depth"    predict "$TREE" "$(printf '[MAX %.0s' $(seq 20000))"
hostile tree_trailing_text      "input:1:12: trailing text"        predict "$TREE" "[MAX 2 9 ] 3"
hostile tree_empty_input        "no tree: the input is empty"      predict "$TREE" ""
hostile tree_eval_data_unclosed "trees_unclosed.tsv:2:1: '[' is never closed" \
  eval "$TREE" --data "$C/trees_unclosed.tsv"
hostile tree_eval_data_not_listops "not a tree of task 'listops'" \
  eval "$TREE" --data "$C/trees_not_listops.tsv"
hostile eval_data_generated_task "it reads no files of examples" \
  eval "$RUN" --data "$C/trees_unclosed.tsv"

# Resource limits: a model the machine cannot hold is refused up front, with the estimate.
hostile memory_too_big          "memory_too_big.yaml: the run needs about" train "$C/memory_too_big.yaml"

# Experiment files (heed experiment): refused before any run starts, nothing written.
hostile experiment_unknown_key  "experiment_unknown_key.yaml:2:1: seed: unknown key" \
  experiment "$C/experiment_unknown_key.yaml"
hostile experiment_empty_grid   "experiment_empty_grid.yaml:2:23: grid.model.d_model: is an empty list" \
  experiment "$C/experiment_empty_grid.yaml"
hostile experiment_missing_base "experiment_missing_base.yaml:1:7: base: nowhere/copy.yaml" \
  experiment "$C/experiment_missing_base.yaml"
hostile experiment_variants_list "experiment_variants_list.yaml:2:11: variants: must be a mapping" \
  experiment "$C/experiment_variants_list.yaml"
