// The flag table of kf-trainer.
#include "runtime/cli.h"

#include "contract/trainer_flags.h"

#include "runtime/error.h"
#include "runtime/model.h"

#include <charconv>
#include <type_traits>

namespace kf::trainer {

namespace {

// An option with its KF_* environment variable and its default shown in --help.
// An unsigned field refuses a negative value (CLI11 would wrap --epochs=-1 to
// 2^64 - 1 epochs).
template <typename T>
CLI::Option* opt(CLI::App& app, const char* name, T& field, const char* env, const char* help) {
  CLI::Option* o = app.add_option(name, field, help)->envname(env)->capture_default_str();
  if constexpr (std::is_unsigned_v<T>)
    o->check(CLI::Validator(
        [](std::string& value) {
          return value.find('-') == 0 ? "must be 0 or more, got " + value : std::string();
        },
        "", "NOT_NEGATIVE"));
  return o;
}

CLI::Option* group(CLI::Option* option, const char* g) { return option->group(g); }

// A choice flag's values, defined once in contract/trainer_flags.h (kf checks
// kf.yaml's hyperparameters against the same list).
CLI::IsMember choices(std::string_view flag) {
  const contract::TrainerFlag* f = contract::find_trainer_flag(flag);
  return CLI::IsMember(f ? contract::flag_choices(*f) : std::vector<std::string>{});
}

void add_model_flags(CLI::App& app, TrainerOptions& o, CliExtras& x) {
  // Model
  group(opt(app, "--model", o.model.kind, "KF_MODEL", "Model: mlp or cnn (images), transformer or embeddingbag (text)")
            ->check(choices("model")), "Model");
  group(opt(app, "--layers", x.layers, "KF_LAYERS", "Hidden dense widths, comma-separated (the CNN's dense head); none for no hidden layer [default: 128,64 for images, none for text]"), "Model");
  group(opt(app, "--activation", o.model.activation, "KF_ACTIVATION", "Activation: relu, tanh or sigmoid")
            ->check(choices("activation")), "Model");
  group(opt(app, "--conv-channels", x.conv_channels, "KF_CONV_CHANNELS",
            "CNN: filters per conv+relu+2x2-maxpool block, comma-separated"), "Model");
  group(opt(app, "--kernel-size", o.model.kernel_size, "KF_KERNEL_SIZE", "CNN: odd convolution kernel size"), "Model");
  group(opt(app, "--embedding-dim", o.model.embedding_dim, "KF_EMBEDDING_DIM", "Text models: embedding width (the transformer's model width)"), "Model");
  group(opt(app, "--encoder-layers", o.model.encoder_layers, "KF_ENCODER_LAYERS", "transformer: pre-LayerNorm encoder blocks"), "Model");
  group(opt(app, "--heads", o.model.heads, "KF_HEADS", "transformer: attention heads (divides --embedding-dim)"), "Model");
  group(opt(app, "--ffn-dim", o.model.ffn_dim, "KF_FFN_DIM", "transformer: width of the GELU feed-forward"), "Model");
  group(opt(app, "--dropout", x.dropout, "KF_DROPOUT",
            "Dropout probability: the transformer's on embeddings, attention and feed-forward outputs; mlp and cnn: "
            "after each hidden dense layer [default: 0.1 for the transformer, 0 for images]"), "Model");
  group(app.add_flag("--batch-norm", o.model.batch_norm,
                     "mlp, cnn: BatchNorm after each convolution and hidden dense layer, before its activation")
            ->envname("KF_BATCH_NORM"), "Model");
  group(app.add_flag("--sync-batch-norm", o.sync_batch_norm,
                     "With --batch-norm and several workers: each BatchNorm's statistics over the global batch "
                     "(torch's SyncBatchNorm; two all-reduces in its forward, one in its backward)")
            ->envname("KF_SYNC_BATCH_NORM"), "Model");
  group(app.add_flag("--global-pool", o.model.global_pool,
                     "cnn: average each channel of the last block (global average pooling) instead of flattening")
            ->envname("KF_GLOBAL_POOL"), "Model");
  group(opt(app, "--label-smoothing", o.model.label_smoothing, "KF_LABEL_SMOOTHING",
            "Training loss against (1 - s) one-hot + s / classes, as torch's label_smoothing"), "Model");
  group(opt(app, "--pooling", o.model.pooling, "KF_POOLING", "transformer: mean (of the non-padding positions) or cls (the [CLS] position)")
            ->check(choices("pooling")), "Model");
}

void add_text_flags(CLI::App& app, TrainerOptions& o, CliExtras& x) {
  // Text
  group(opt(app, "--text-column", o.data.text_column, "KF_TEXT_COLUMN", "Text data: the column (or JSON field) of the text"), "Text");
  group(opt(app, "--label-column", o.data.label_column, "KF_LABEL_COLUMN",
            "Text data: the column of the label (any string; classes are the labels seen, sorted)"), "Text");
  group(opt(app, "--vocab", o.data.vocab_file, "KF_VOCAB",
            "A BERT vocab.txt (one WordPiece token per line, [PAD] first); default: built from the training text"), "Text");
  group(opt(app, "--vocab-size", o.data.vocab.max_size, "KF_VOCAB_SIZE", "Tokens in a vocabulary built from the training text"), "Text");
  group(opt(app, "--max-length", o.data.text.max_length, "KF_MAX_LENGTH", "Token slots per text ([CLS] included); longer texts are truncated"), "Text");
  group(opt(app, "--hash-buckets", o.data.text.hash_buckets, "KF_HASH_BUCKETS",
            "embeddingbag: embedding rows for hashed word bigrams and character 3-5-grams (0 = none)"), "Text");
  group(opt(app, "--hash-slots", o.data.text.hash_slots, "KF_HASH_SLOTS", "embeddingbag: hashed features kept per text"), "Text");
  group(app.add_flag("--no-lower-case", x.no_lower_case, "Keep case and accents (for a cased vocabulary)")
            ->envname("KF_NO_LOWER_CASE"), "Text");
}

void add_data_flags(CLI::App& app, TrainerOptions& o) {
  // Data
  group(opt(app, "--data", o.data.source, "KF_DATA",
            "Training data: a directory of MNIST-format IDX files (train/t10k, .gz or plain), an IDX file in one, "
            "a CSV file, an http(s):// or file:// URL of either, or 'synthetic'"), "Data");
  group(opt(app, "--data-format", o.data.format, "KF_DATA_FORMAT",
            "auto, idx, csv (pixels), text (a CSV, TSV or JSON-lines table with --text-column and --label-column) or "
            "synthetic; auto picks text for .jsonl, .tsv and a .csv whose header names --text-column")
            ->check(choices("data-format")), "Data");
  group(opt(app, "--test-data", o.data.test_source, "KF_TEST_DATA",
            "CSV or text test split (default: the last tenth of a CSV's rows, every tenth row of a text table); IDX directories hold their own"), "Data");
  group(opt(app, "--csv-label-column", o.data.csv_label_column, "KF_CSV_LABEL_COLUMN", "CSV label column: first or last")
            ->check(choices("csv-label-column")), "Data");
  group(opt(app, "--cache-dir", o.data.cache_dir, "KF_CACHE_DIR",
            "Where downloaded data is cached (default $XDG_CACHE_HOME/kf-trainer or ~/.cache/kf-trainer)"), "Data");
  group(opt(app, "--synthetic-samples", o.data.synthetic_samples, "KF_SYNTHETIC_SAMPLES",
            "--data=synthetic: training samples (the test split gets a quarter)"), "Data");
  group(opt(app, "--synthetic-size", o.data.synthetic_size, "KF_SYNTHETIC_SIZE", "--data=synthetic: image side in pixels"), "Data");
  group(opt(app, "--augment", o.augment, "KF_AUGMENT",
            "Images: random changes to each training sample, comma-separated: crop (shift by up to 2 pixels, "
            "zero-filled, as a padded random crop) and flip (mirror left-right half the time); none for none")
            ->check(choices("augment")), "Data");
  group(opt(app, "--train-limit", o.data.train_limit, "KF_TRAIN_LIMIT", "Use only the first N training samples (0 = all)"), "Data");
}

void add_training_flags(CLI::App& app, TrainerOptions& o) {
  // Training
  group(opt(app, "--epochs", o.epochs, "KF_EPOCHS", "Passes over the training data"), "Training");
  group(opt(app, "--batch-size", o.batch_size, "KF_BATCH_SIZE", "Samples per step per worker (global batch = this x workers)"), "Training");
  group(opt(app, "--optimizer", o.optimizer.kind, "KF_OPTIMIZER",
            "sgd (with momentum), adam (L2 weight decay) or adamw (decoupled weight decay)")
            ->check(choices("optimizer")), "Training");
  group(opt(app, "--lr", o.optimizer.lr, "KF_LR", "Base learning rate"), "Training");
  group(opt(app, "--momentum", o.optimizer.momentum, "KF_MOMENTUM", "SGD momentum (0 = plain SGD)"), "Training");
  group(opt(app, "--weight-decay", o.optimizer.weight_decay, "KF_WEIGHT_DECAY", "Weight decay on weights (not biases or LayerNorm): L2 for sgd/adam, decoupled for adamw"), "Training");
  group(opt(app, "--beta1", o.optimizer.beta1, "KF_BETA1", "Adam beta1"), "Training");
  group(opt(app, "--beta2", o.optimizer.beta2, "KF_BETA2", "Adam beta2"), "Training");
  group(opt(app, "--lr-schedule", o.optimizer.schedule, "KF_LR_SCHEDULE", "constant, step or cosine")
            ->check(choices("lr-schedule")), "Training");
  group(opt(app, "--warmup-steps", o.optimizer.warmup_steps, "KF_WARMUP_STEPS",
            "Linear learning-rate warm-up from 0 over this many steps, then the schedule"), "Training");
  group(opt(app, "--lr-step-epochs", o.optimizer.step_epochs, "KF_LR_STEP_EPOCHS", "step schedule: decay every N epochs"), "Training");
  group(opt(app, "--lr-gamma", o.optimizer.gamma, "KF_LR_GAMMA", "step schedule: decay factor"), "Training");
  group(opt(app, "--seed", o.seed, "KF_SEED", "Random seed (weights and shuffling); same seed, same model"), "Training");
  group(opt(app, "--device", o.device, "KF_DEVICE", "auto (GPU if usable), cpu or gpu")
            ->check(choices("device")), "Training");
  group(opt(app, "--threads", o.threads, "KF_THREADS", "OpenBLAS threads (0 = cores / workers on this machine)"), "Training");
}

void add_output_flags(CLI::App& app, TrainerOptions& o, CliExtras& x) {
  // Output
  group(opt(app, "--output", o.output, "KF_OUTPUT",
            "Directory for checkpoints/, model.safetensors, model.json and metrics.jsonl"), "Output");
  group(opt(app, "--checkpoint-every", o.checkpoint_every, "KF_CHECKPOINT_EVERY",
            "Checkpoint every N steps (also at each epoch end); 0 = epoch ends only"), "Output");
  group(app.add_flag("--no-resume", x.no_resume, "Start over even if --output holds a checkpoint")
            ->envname("KF_NO_RESUME"), "Output");
  group(app.add_flag("--epochs-from-checkpoint", o.epochs_from_checkpoint,
                     "Train --epochs more than the checkpoint in --output holds (population based training: each "
                     "generation trains on from its parent's); by default --epochs is the total a resumed run finishes")
            ->envname("KF_EPOCHS_FROM_CHECKPOINT"), "Output");
  group(opt(app, "--metrics-file", o.metrics_file, "KF_METRICS_FILE", "JSON-lines metrics (default OUTPUT/metrics.jsonl)"), "Output");
  group(app.add_flag("--quiet", x.quiet, "No progress lines on stderr")->envname("KF_QUIET"), "Output");
  group(opt(app, "--evaluate", o.evaluate, "KF_EVALUATE",
            "Evaluate the model exported in this directory on the test split and print loss= accuracy="), "Output");
}

void add_distributed_flags(CLI::App& app, TrainerOptions& o, CliExtras& x) {
  // Distributed
  group(opt(app, "--rendezvous-timeout", x.rendezvous_timeout_s, "KF_RENDEZVOUS_TIMEOUT",
            "Seconds to wait for every worker to arrive before failing with the missing ranks"), "Distributed");
  group(opt(app, "--collective-timeout", x.collective_timeout_s, "KF_COLLECTIVE_TIMEOUT",
            "Seconds one all-reduce may take before the run fails"), "Distributed");
  group(opt(app, "--bind-host", o.rendezvous.bind_host, "KF_BIND_HOST",
            "Address Gloo listens on (default 127.0.0.1 for a loopback MASTER_ADDR, else the hostname)"), "Distributed");
  group(opt(app, "--shm-allreduce", x.shm_allreduce, "KF_SHM_ALLREDUCE",
            "Several workers: all-reduce through shared memory when every worker runs on this host (auto), or "
            "always over Gloo's TCP (off)")
            ->check(choices("shm-allreduce")), "Distributed");
  group(opt(app, "--overlap-allreduce", o.overlap, "KF_OVERLAP_ALLREDUCE",
            "CPU, several workers: all-reduce gradients in buckets while backward runs (on), or once after it "
            "(off); auto: on when this machine has a core to spare beyond the local workers' BLAS threads")
            ->check(choices("overlap-allreduce")), "Distributed");
  group(opt(app, "--step-delay-ms", o.step_delay_ms, "KF_STEP_DELAY_MS", "Sleep after each step (tests and demos)"), "Distributed");
}

constexpr const char* k_footer =
      "Rendezvous comes from the environment: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK\n"
    "(PyTorchJob), PET_MASTER_ADDR, PET_MASTER_PORT, PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK\n"
    "(torchrun), or TF_CONFIG (TFJob: ranks in chief, master, worker, ps order). Rank 0 hosts the\n"
    "store at MASTER_ADDR:MASTER_PORT.\n\n"
    "Each epoch prints one line on stdout for Katib's StdOut collector:\n"
    "  epoch=1 loss=0.5012 accuracy=0.8423 test_loss=0.4410 train_accuracy=0.8210\n"
    "(loss: mean training loss; accuracy: test accuracy).\n\n"
    "Examples:\n"
    "  kf-trainer --data=/usr/share/datasets/fashion-mnist --model=mlp --layers=128,64 --epochs=5\n"
    "  MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 WORLD_SIZE=2 RANK=0 kf-trainer --data=synthetic &\n"
    "  MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 WORLD_SIZE=2 RANK=1 kf-trainer --data=synthetic\n"
    "  KF_LR=0.01 kf-trainer --model=cnn --optimizer=adam --data=https://example.com/mnist/\n\n"
    "Exit status: 0 done, 1 the run failed, 2 bad flags or environment.";

} // namespace

void add_trainer_flags(CLI::App& app, TrainerOptions& o, CliExtras& x) {
  app.get_formatter()->column_width(34);
  // Like argparse: a repeated flag takes its last value (a Katib trial's
  // substituted value can follow the rendered default).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_model_flags(app, o, x);
  add_data_flags(app, o);
  add_text_flags(app, o, x);
  add_training_flags(app, o);
  add_output_flags(app, o, x);
  add_distributed_flags(app, o, x);
  app.footer(k_footer);
}

std::vector<std::size_t> parse_size_list(const std::string& flag, const std::string& text) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::size_t value = 0;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || value == 0)
      throw UsageError(flag + "=" + text + ": expected positive integers separated by commas");
    out.push_back(value);
    start = comma + 1;
  }
  return out;
}

void finish_options(TrainerOptions& o, const CliExtras& x) {
  if (x.layers.empty())
    o.model.hidden = is_text_model(o.model.kind) ? std::vector<std::size_t>{} : std::vector<std::size_t>{128, 64};
  else
    o.model.hidden = x.layers == "none" ? std::vector<std::size_t>{} : parse_size_list("--layers", x.layers);
  o.model.conv_channels = parse_size_list("--conv-channels", x.conv_channels);
  const bool text = is_text_model(o.model.kind);
  if (!x.dropout.empty()) {
    float p = 0.0f;
    auto [ptr, ec] = std::from_chars(x.dropout.data(), x.dropout.data() + x.dropout.size(), p);
    if (ec != std::errc() || ptr != x.dropout.data() + x.dropout.size() || !(p >= 0.0f && p < 1.0f))
      throw UsageError("--dropout=" + x.dropout + ": expected a probability in [0, 1)");
    (text ? o.model.dropout : o.model.dense_dropout) = p;
  }
  o.rendezvous.timeout = std::chrono::milliseconds(static_cast<long long>(x.rendezvous_timeout_s * 1000.0));
  o.rendezvous.collective_timeout = std::chrono::milliseconds(static_cast<long long>(x.collective_timeout_s * 1000.0));
  o.rendezvous.shared_memory = x.shm_allreduce == "auto";
  o.resume = !x.no_resume;
  o.progress = !x.quiet;
  if (x.no_lower_case) o.data.text.basic.lower_case = o.data.text.basic.strip_accents = false;
}

} // namespace kf::trainer
