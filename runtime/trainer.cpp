// The data-parallel training loop: data, rendezvous, resume, steps,
// per-epoch evaluation and metrics, checkpoints, export.
#include "runtime/trainer.h"

#include "contract/progress.h"

#include "runtime/augment.h"
#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/export.h"
#include "runtime/gpu_engine.h"
#include "runtime/metrics.h"
#include "runtime/rng.h"
#include "runtime/safetensors.h"

#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <thread>

namespace fs = std::filesystem;

namespace kf::trainer {
namespace {

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void log(const WorldInfo& w, const std::string& msg) {
  std::fprintf(stderr, "kf-trainer[%d/%d]: %s\n", w.rank, w.size, msg.c_str());
}

void gather(const Dataset& d, const std::vector<std::uint32_t>& order, std::size_t from, std::size_t count,
            Tensor& x, std::vector<std::uint8_t>& y) {
  Shape shape = {count};
  shape.insert(shape.end(), d.sample_shape.begin(), d.sample_shape.end());
  x.shape = shape;
  const std::size_t s = d.sample_size();
  x.data.resize(count * s);
  y.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t idx = order.empty() ? from + i : order[from + i];
    std::copy_n(d.images.begin() + static_cast<std::ptrdiff_t>(idx * s), s, x.data.begin() + static_cast<std::ptrdiff_t>(i * s));
    y[i] = d.labels[idx];
  }
}

// Local sums over this rank's test shard: {loss_sum, correct, count}.
std::array<double, 3> evaluate(Engine& engine, const Dataset& test) {
  std::array<double, 3> sums = {0.0, 0.0, static_cast<double>(test.size())};
  Tensor x;
  std::vector<std::uint8_t> y;
  for (std::size_t from = 0; from < test.size(); from += 500) {
    const std::size_t n = std::min<std::size_t>(500, test.size() - from);
    gather(test, {}, from, n, x, y);
    const LossResult r = engine.evaluate(x, y);
    sums[0] += r.loss_sum;
    sums[1] += static_cast<double>(r.correct);
  }
  return sums;
}

// Workers of this run on this machine.
int local_workers(const WorldInfo& w) {
  if (const char* l = std::getenv("LOCAL_WORLD_SIZE")) return std::max(1, std::atoi(l));
  if (w.master_addr.starts_with("127.") || w.master_addr == "localhost") return w.size;
  return 1;
}

int blas_threads(const TrainerOptions& o, const WorldInfo& w) {
  if (o.threads > 0) return o.threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local_workers(w));
}

void set_blas_threads(const TrainerOptions& o, const WorldInfo& w) { openblas_set_num_threads(blas_threads(o, w)); }

// --overlap-allreduce: auto overlaps when a core is left for the
// communication thread; on a machine the workers fill, it only competes.
bool overlap_allreduce(const TrainerOptions& o, const WorldInfo& w) {
  if (o.overlap != "auto") return o.overlap == "on";
  if (o.sync_batch_norm) return false; // its all-reduces inside backward would interleave with the buckets
  return static_cast<int>(std::thread::hardware_concurrency()) > local_workers(w) * blas_threads(o, w);
}

std::unique_ptr<Engine> choose_engine(const TrainerOptions& o, const WorldInfo& w, Model& model, Optimizer& opt,
                                      Communicator& comm) {
  const bool overlap = overlap_allreduce(o, w);
  // SyncBatchNorm: the CPU layers sum through this communicator; the GPU
  // engine's twins see the flag and sum through NCCL.
  if (o.sync_batch_norm && comm.size() > 1) {
    model.synchronise([&comm](double* data, std::size_t n) { comm.allreduce_sum(data, n); });
    log(w, "BatchNorm statistics over the global batch of " + std::to_string(comm.size()) + " workers (--sync-batch-norm)");
  }
  if (o.device == "cpu") return make_cpu_engine(model, opt, comm, overlap);
  const GpuProbe gpu = probe_gpu(w.local_rank);
  if (!gpu.available) {
    log(w, "no GPU (" + gpu.description + "); using the CPU path");
    return make_cpu_engine(model, opt, comm, overlap);
  }
  std::string why;
  if (auto engine = make_gpu_engine(model, opt, comm, gpu, &why)) return engine;
  log(w, "GPU " + gpu.description + " found but not used (" + why + "); using the CPU path");
  return make_cpu_engine(model, opt, comm, overlap);
}

// --model's layers for the data's sample shape and classes.
ModelConfig model_config(const TrainerOptions& o, const Dataset& train) {
  ModelConfig mc = o.model;
  mc.input = train.sample_shape;
  mc.classes = train.classes;
  if (train.text) {
    mc.vocab_rows = train.text->rows();
    mc.hash_slots = train.text->settings().hash_slots;
  }
  return mc;
}

// --data's options for this model: hashed n-gram features only for the text models.
DataOptions data_options(const TrainerOptions& o) {
  DataOptions d = o.data;
  if (!is_text_model(o.model.kind) || d.text.hash_buckets == 0) d.text.hash_buckets = d.text.hash_slots = 0;
  return d;
}

// Full batches per epoch in this rank's shard.
std::size_t steps_of(const TrainerOptions& o, const Dataset& train) {
  const std::size_t steps = train.size() / o.batch_size;
  if (steps == 0)
    throw UsageError("--batch-size " + std::to_string(o.batch_size) + " is larger than this worker's shard (" +
                     std::to_string(train.size()) + " samples)");
  return steps;
}

// Rank 0's metrics file (--metrics-file, else OUTPUT/metrics.jsonl); null elsewhere.
std::unique_ptr<MetricsWriter> open_metrics(const TrainerOptions& o, const WorldInfo& w) {
  if (w.rank != 0) return nullptr;
  return std::make_unique<MetricsWriter>(o.metrics_file.empty() ? (fs::path(o.output) / "metrics.jsonl").string()
                                                                : o.metrics_file);
}

// Resume: rank 0 reads the newest checkpoint under --output and sends it to
// everyone; every rank loads it. Fresh progress when there is none.
TrainProgress resume(const TrainerOptions& o, const WorldInfo& w, Communicator& comm, Model& model, Optimizer& optimizer,
                     Engine& engine) {
  TrainProgress progress;
  std::vector<char> ckpt;
  std::string ckpt_path;
  if (w.rank == 0) {
    std::error_code ec;
    fs::create_directories(o.output, ec);
    if (ec) throw Error("cannot create --output " + o.output + ": " + ec.message());
    if (o.resume)
      if (auto path = latest_checkpoint(o.output)) {
        ckpt_path = *path;
        const std::string bytes = read_file(*path);
        ckpt.assign(bytes.begin(), bytes.end());
      }
  }
  comm.broadcast(ckpt, 0);
  if (ckpt.empty()) return progress;
  progress = decode_checkpoint(std::string_view(ckpt.data(), ckpt.size()),
                               "checkpoint " + (w.rank == 0 ? ckpt_path : std::string("from rank 0")), model, optimizer,
                               o.epochs_from_checkpoint);
  engine.push();
  log(w, "resuming from " + (w.rank == 0 ? ckpt_path : std::string("rank 0's checkpoint")) + " at step " +
             std::to_string(progress.global_step) + " (epoch " + std::to_string(progress.epoch + 1) + ", step " +
             std::to_string(progress.step_in_epoch) + ")");
  if (!progress.other_optimizer.empty() && w.rank == 0)
    log(w, "the checkpoint was written with --optimizer=" + progress.other_optimizer + ": its weights go on, --optimizer=" +
               o.optimizer.kind + " starts fresh");
  return progress;
}

// Non-padding ids among the first `slots` of each sample of x (the token
// slots of a text batch; hashed features follow them).
std::size_t text_tokens(const Tensor& x, std::size_t slots) {
  std::size_t n = 0;
  const std::size_t per = x.per_sample();
  for (std::size_t i = 0; i < x.batch(); ++i)
    for (std::size_t j = 0; j < slots && j < per; ++j) n += x.data[i * per + j] != 0.0f ? 1 : 0;
  return n;
}

// What an epoch did, over every worker.
struct EpochTally {
  std::size_t samples = 0;
  std::size_t tokens = 0; // text: non-padding tokens
  double seconds = 0.0;
};

// Everything in `m` but the test metrics (measure()) after epoch `epoch` (1-based).
void fill_epoch_metrics(EpochMetrics& m, const TrainProgress& p, std::size_t epoch, const EpochTally& t, double wall_s) {
  m.epoch = epoch;
  m.step = p.global_step;
  m.loss = p.samples > 0 ? p.loss_sum / p.samples : 0.0;
  m.train_accuracy = p.samples > 0 ? p.correct / p.samples : 0.0;
  m.samples_per_s = static_cast<double>(t.samples) / t.seconds;
  m.tokens_per_s = static_cast<double>(t.tokens) / t.seconds;
  m.wall_s = wall_s;
}

// The progress line of contract/progress.h, on stderr.
void print_progress(const WorldInfo& w, std::size_t epoch, std::size_t epochs, std::size_t step, std::size_t steps,
                    double loss, float lr, double samples_per_second) {
  contract::ProgressLine line;
  line.rank = w.rank;
  line.world = w.size;
  line.epoch = static_cast<long>(epoch);
  line.epochs = static_cast<long>(epochs);
  line.step = static_cast<long>(step);
  line.steps = static_cast<long>(steps);
  line.loss = loss;
  line.lr = static_cast<double>(lr);
  line.samples_per_second = samples_per_second;
  std::fprintf(stderr, "%s\n", contract::format_progress_line(line).c_str());
}

// Test loss and accuracy over every rank's shard into `m`.
void measure(Engine& engine, const Dataset& test, Communicator& comm, EpochMetrics& m) {
  std::array<double, 3> sums = evaluate(engine, test);
  comm.allreduce_sum(sums.data(), sums.size());
  m.test_loss = sums[2] > 0 ? sums[0] / sums[2] : 0.0;
  m.accuracy = sums[2] > 0 ? sums[1] / sums[2] : 0.0;
}

// The training set's samples per class, over every rank's shard (model.json's
// "class_counts": what a model server's answers are compared with for drift).
std::vector<double> class_counts(const Dataset& train, Communicator& comm) {
  std::vector<double> counts(train.classes, 0.0);
  for (std::uint8_t l : train.labels)
    if (l < counts.size()) counts[l] += 1.0;
  comm.allreduce_sum(counts.data(), counts.size());
  return counts;
}

// Rank 0 writes model.safetensors and model.json (with how it was trained,
// and the class counts, which every rank calls this to all-reduce).
void export_final(const TrainerOptions& o, const WorldInfo& w, Model& model, const TrainProgress& progress,
                  const EpochMetrics& last, const Dataset& train, Communicator& comm) {
  const std::vector<double> counts = class_counts(train, comm);
  if (w.rank != 0) return;
  nlohmann::json extra = {
      {"data", {{"source", o.data.source}, {"format", o.data.format}}},
      {"training", {{"epochs", progress.epoch}, {"batch_size", o.batch_size}, {"workers", w.size},
                    {"optimizer", o.optimizer.kind}, {"lr", o.optimizer.lr}, {"seed", o.seed},
                    {"steps", progress.global_step}}},
      {"class_counts", counts},
      {"metrics", {{"accuracy", last.accuracy}, {"loss", last.loss}, {"test_loss", last.test_loss}}}};
  if (train.text) {
    extra["data"]["text_column"] = o.data.text_column;
    extra["data"]["label_column"] = o.data.label_column;
    if (!o.data.test_source.empty()) extra["data"]["test_source"] = o.data.test_source;
    const TextModel text{train.text, train.label_names};
    export_model(o.output, model, extra, &text);
  } else {
    export_model(o.output, model, extra);
  }
  log(w, "exported " + (fs::path(o.output) / "model.safetensors").string() + " and model.json");
}

// --augment, refused for text.
Augment image_augment(const TrainerOptions& o, const Dataset& train) {
  const Augment augment = parse_augment(o.augment);
  if (augment.any() && train.text) throw UsageError("--augment is for images, not text");
  return augment;
}

// Step s of the epoch's batches into x, y, the images changed as --augment
// says (a stream of its own per epoch, step and rank: a resumed run sees the same).
void training_batch(const TrainerOptions& o, const WorldInfo& w, const Dataset& train,
                    const std::vector<std::uint32_t>& order, const Augment& augment, std::size_t epoch, std::size_t s,
                    Tensor& x, std::vector<std::uint8_t>& y) {
  gather(train, order, s * o.batch_size, o.batch_size, x, y);
  if (!augment.any()) return;
  Rng rng(mix_seed(mix_seed(o.seed, epoch), s * static_cast<std::size_t>(w.size) + static_cast<std::size_t>(w.rank)));
  augment_batch(x, augment, rng);
}

} // namespace

int run_training(const TrainerOptions& o, const WorldInfo& w) {
  const double t_start = now_s();
  validate(o);
  set_blas_threads(o, w);
  DataSplit data = load_data(data_options(o), w.rank, w.size);
  log(w, "data: " + std::to_string(data.train.size()) + " training and " + std::to_string(data.test.size()) +
             " test samples in this rank's shard");
  auto comm = connect_world(w, o.rendezvous);
  if (w.size > 1) log(w, "rendezvous complete at " + w.master_addr + ":" + std::to_string(w.master_port));

  const Augment augment = image_augment(o, data.train);
  Model model(model_config(o, data.train), o.seed);
  Optimizer optimizer(o.optimizer, model.params());
  auto engine = choose_engine(o, w, model, optimizer, *comm);
  if (w.rank == 0)
    log(w, "model " + o.model.kind + ", " + std::to_string(model.parameter_count()) + " parameters, " +
               std::to_string(model.flops_per_sample() / 1e6) + " MFLOP/sample forward, engine " + engine->name());

  TrainProgress progress = resume(o, w, *comm, model, optimizer, *engine);
  const std::size_t epochs = o.epochs + (o.epochs_from_checkpoint ? progress.epoch : 0);

  const std::size_t steps_per_epoch = steps_of(o, data.train);
  const std::uint64_t total_steps = epochs * steps_per_epoch;
  const float grad_scale = 1.0f / static_cast<float>(o.batch_size * static_cast<std::size_t>(w.size));
  auto metrics = open_metrics(o, w);
  auto checkpoint = [&] {
    engine->pull();
    if (w.rank == 0) save_checkpoint(o.output, encode_checkpoint(model, optimizer, progress), progress.global_step);
  };

  std::vector<std::uint32_t> order(data.train.size());
  Tensor x;
  std::vector<std::uint8_t> y;
  EpochMetrics last;
  for (std::size_t epoch = progress.epoch; epoch < epochs; ++epoch) {
    std::iota(order.begin(), order.end(), 0u);
    Rng(mix_seed(o.seed, epoch)).shuffle(order);
    const double t_epoch = now_s();
    double t_log = t_epoch;
    const std::size_t first_step = progress.step_in_epoch;
    std::size_t tokens = 0;
    for (std::size_t s = first_step; s < steps_per_epoch; ++s) {
      training_batch(o, w, data.train, order, augment, epoch, s, x, y);
      if (data.train.text) tokens += text_tokens(x, data.train.text->settings().max_length);
      const float lr = learning_rate(o.optimizer, progress.global_step, steps_per_epoch, total_steps);
      const LossResult r = engine->train_step(x, y, grad_scale, lr);
      progress.loss_sum += r.loss_sum;
      progress.correct += static_cast<double>(r.correct);
      progress.samples += static_cast<double>(o.batch_size * static_cast<std::size_t>(w.size));
      ++progress.global_step;
      progress.step_in_epoch = s + 1;
      if (o.checkpoint_every > 0 && progress.global_step % o.checkpoint_every == 0 && s + 1 < steps_per_epoch)
        checkpoint();
      if (o.progress && w.rank == 0 && now_s() - t_log >= 1.0) {
        t_log = now_s();
        print_progress(w, epoch + 1, epochs, s + 1, steps_per_epoch, progress.loss_sum / progress.samples, lr,
                       static_cast<double>(s + 1 - first_step) *
                           static_cast<double>(o.batch_size * static_cast<std::size_t>(w.size)) / (t_log - t_epoch));
      }
      if (o.step_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.step_delay_ms));
    }
    const EpochTally tally{(steps_per_epoch - first_step) * o.batch_size * static_cast<std::size_t>(w.size),
                           tokens * static_cast<std::size_t>(w.size), now_s() - t_epoch};
    measure(*engine, data.test, *comm, last);
    fill_epoch_metrics(last, progress, epoch + 1, tally, now_s() - t_start);
    if (metrics) metrics->write(last);
    progress = TrainProgress{progress.global_step, epoch + 1, 0, 0.0, 0.0, 0.0, {}};
    checkpoint();
  }

  if (last.epoch == 0) {
    // Restarted after the last epoch: nothing to train; measure the model.
    log(w, "training already complete (" + std::to_string(epochs) + " epochs); exporting again");
    measure(*engine, data.test, *comm, last);
  }
  engine->pull();
  export_final(o, w, model, progress, last, data.train, *comm);
  comm->barrier();
  return 0;
}

int run_evaluation(const TrainerOptions& o) {
  LoadedModel loaded = load_exported_model(o.evaluate);
  DataOptions d = o.data;
  if (d.source.empty() && loaded.info.contains("data")) {
    const nlohmann::json& from = loaded.info["data"];
    d.source = from.value("source", "");
    if (d.format == "auto") d.format = from.value("format", "auto");
    if (d.test_source.empty()) d.test_source = from.value("test_source", "");
    d.text_column = from.value("text_column", d.text_column);
    d.label_column = from.value("label_column", d.label_column);
  }
  if (loaded.text && d.format == "auto") d.format = "text";
  DataSplit data = load_data(d, 0, 1, loaded.text ? &*loaded.text : nullptr);
  if (data.test.sample_shape != loaded.model->config().input)
    throw Error("--evaluate: the data's samples do not match the model's input shape");
  auto comm = make_local_communicator();
  OptimizerConfig oc;
  Optimizer unused(oc, {});
  auto engine = make_cpu_engine(*loaded.model, unused, *comm);
  const auto sums = evaluate(*engine, data.test);
  std::printf("loss=%.4f accuracy=%.4f\n", sums[0] / sums[2], sums[1] / sums[2]);
  return 0;
}

} // namespace kf::trainer
