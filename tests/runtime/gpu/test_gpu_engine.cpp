// trainer_gpu (ctest label "gpu"): the GPU engine against the CPU engine on
// the same model, seed and batches, so every device layer (dense, conv2d via
// im2col/col2im, 2x2 max pooling, the activations, batch norm with its
// running statistics, dropout, global average pooling, the embedding bag, the
// transformer encoder with its LayerNorm, attention, GELU, embeddings,
// pooling and hashed features), the softmax kernel and
// both optimizers are checked against the host maths that trainer_unit
// checks against finite differences. Exits 77 (ctest: skipped) when
// probe_gpu() finds no usable GPU, e.g. on CI machines with nvcc but no GPU.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "runtime/comm.h"
#include "runtime/engine.h"
#include "runtime/gpu.h"
#include "runtime/gpu_engine.h"
#include "runtime/rng.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

using namespace kf::trainer;

namespace {

GpuProbe g_gpu;

Tensor random_batch(std::size_t n, const Shape& sample, std::uint64_t seed) {
  Shape shape = {n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  Tensor t(shape);
  Rng rng(seed);
  for (float& v : t.data) v = rng.uniform(0.0f, 1.0f);
  return t;
}

// Rows of token ids for a text model: `slots` token slots of texts of 0 to
// `slots` tokens (then padding), then `hash_slots` hashed features, some 0.
Tensor random_texts(std::size_t n, const ModelConfig& mc, std::uint64_t seed) {
  const std::size_t width = mc.input[0], slots = width - mc.hash_slots;
  Tensor t({n, width});
  Rng rng(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t len = i == 1 ? 0 : 1 + rng.below(slots); // text 1 is empty
    for (std::size_t j = 0; j < len; ++j) t.data[i * width + j] = static_cast<float>(1 + rng.below(mc.vocab_rows - 1));
    for (std::size_t k = slots; k < width; ++k)
      t.data[i * width + k] = rng.below(3) == 0 ? 0.0f : static_cast<float>(1 + rng.below(mc.vocab_rows - 1));
  }
  return t;
}

Tensor random_input(std::size_t n, const ModelConfig& mc, std::uint64_t seed) {
  return mc.kind == "embeddingbag" || mc.kind == "transformer" ? random_texts(n, mc, seed)
                                                               : random_batch(n, mc.input, seed);
}

std::vector<std::uint8_t> random_labels(std::size_t n, std::size_t classes, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::uint8_t> y(n);
  for (auto& v : y) v = static_cast<std::uint8_t>(rng.below(classes));
  return y;
}

float max_abs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

float max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0.0f;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// Trains the same model on both engines for `steps` steps (batches of
// varying size, so device buffers grow mid-run), then compares the losses,
// every parameter and optimizer slot, and an evaluation on a larger batch.
// An optimizer slot's name split in its kind and its parameter's name:
// "opt.m.layers.1.weight" -> {"opt.m", "layers.1.weight"}.
std::pair<std::string, std::string> slot_parts(const std::string& name) {
  const std::size_t dot = name.find('.', 4);
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// `sync`: SyncBatchNorm over this one rank (the CPU's sum is the identity;
// the GPU twin's goes through NCCL).
void compare(const ModelConfig& mc, const OptimizerConfig& oc, int steps, bool sync = false) {
  Model cpu_model(mc, 7), gpu_model(mc, 7);
  if (sync)
    for (Model* m : {&cpu_model, &gpu_model}) m->synchronise([](double*, std::size_t) {});
  Optimizer cpu_opt(oc, cpu_model.params()), gpu_opt(oc, gpu_model.params());
  auto comm = make_local_communicator();
  auto cpu = make_cpu_engine(cpu_model, cpu_opt, *comm);
  std::string why;
  auto gpu = make_gpu_engine(gpu_model, gpu_opt, *comm, g_gpu, &why);
  REQUIRE_MESSAGE(gpu != nullptr, why);
  for (int s = 0; s < steps; ++s) {
    const std::size_t n = 5 + 2 * static_cast<std::size_t>(s); // odd sizes, growing
    const Tensor x = random_input(n, mc, 100 + static_cast<std::uint64_t>(s));
    const auto y = random_labels(n, mc.classes, 200 + static_cast<std::uint64_t>(s));
    const float scale = 1.0f / static_cast<float>(n);
    const LossResult a = cpu->train_step(x, y, scale, oc.lr);
    const LossResult b = gpu->train_step(x, y, scale, oc.lr);
    INFO("step " << s);
    CHECK(b.loss_sum == doctest::Approx(a.loss_sum).epsilon(1e-4));
    CHECK(b.correct == a.correct);
  }
  gpu->pull();
  CHECK(gpu_opt.steps() == cpu_opt.steps());
  // Summation orders differ (cuBLAS vs OpenBLAS), so each tensor is compared
  // relative to its largest element. state(): the parameters, then buffers
  // such as BatchNorm's running statistics (pull() brought them back).
  const auto pc = cpu_model.state(), pg = gpu_model.state();
  for (std::size_t i = 0; i < pc.size(); ++i) {
    INFO(pc[i]->name << ": max |cpu - gpu| = " << max_diff(pc[i]->value, pg[i]->value));
    CHECK(max_diff(pc[i]->value, pg[i]->value) <= 1e-4f * std::max(1.0f, max_abs(pc[i]->value)));
  }
  // A slot is compared relative to its largest element, with a floor of a
  // millionth of the largest slot of its kind (opt.m, opt.v): the bias of a
  // Dense layer that a BatchNorm follows has a true gradient of zero, so its
  // slots hold rounding noise, different on each engine.
  auto sc = cpu_opt.state(), sg = gpu_opt.state();
  REQUIRE(sc.size() == sg.size());
  std::map<std::string, float> largest; // by kind
  for (const auto& slot : sc) {
    float& l = largest[slot_parts(slot.name).first];
    l = std::max(l, max_abs(*slot.data));
  }
  std::set<std::string> sparse; // embedding tables: the CPU engine's lazy updates leave untouched rows' slots stale
  for (const Param* p : cpu_model.params())
    if (p->sparse) sparse.insert(p->name);
  for (std::size_t i = 0; i < sc.size(); ++i) {
    const auto [kind, param] = slot_parts(sc[i].name);
    if (sparse.count(param) != 0) continue;
    const float floor = 1e-6f * largest[kind];
    INFO(sc[i].name << ": max |cpu - gpu| = " << max_diff(*sc[i].data, *sg[i].data) << " of " << max_abs(*sc[i].data)
                    << ", floor " << floor);
    CHECK(max_diff(*sc[i].data, *sg[i].data) <= 1e-3f * max_abs(*sc[i].data) + floor + 1e-12f);
  }
  const Tensor x = random_input(64, mc, 999);
  const auto y = random_labels(64, mc.classes, 998);
  const LossResult a = cpu->evaluate(x, y), b = gpu->evaluate(x, y);
  CHECK(b.loss_sum == doctest::Approx(a.loss_sum).epsilon(1e-4));
  // A push after host-side changes (a checkpoint restore) reaches the device.
  for (Param* p : gpu_model.params()) std::fill(p->value.begin(), p->value.end(), 0.0f);
  gpu->push();
  const LossResult zero = gpu->evaluate(x, y);
  CHECK(zero.loss_sum == doctest::Approx(64.0 * std::log(static_cast<double>(mc.classes))).epsilon(1e-5));
}

} // namespace

TEST_CASE("gpu engine: MLP, relu, SGD with momentum and weight decay") {
  ModelConfig mc;
  mc.hidden = {33, 17};
  mc.input = {1, 7, 9};
  mc.classes = 5;
  OptimizerConfig oc;
  oc.weight_decay = 1e-3f;
  compare(mc, oc, 4);
}

TEST_CASE("gpu engine: MLP, tanh and sigmoid, Adam") {
  for (const char* act : {"tanh", "sigmoid"}) {
    CAPTURE(act);
    ModelConfig mc;
    mc.activation = act;
    mc.hidden = {20};
    mc.input = {2, 5, 5};
    mc.classes = 4;
    OptimizerConfig oc;
    oc.kind = "adam";
    oc.lr = 0.01f;
    compare(mc, oc, 3);
  }
}

TEST_CASE("gpu engine: CNN, 3x3 kernels, odd image sizes, SGD") {
  ModelConfig mc;
  mc.kind = "cnn";
  mc.conv_channels = {4, 6};
  mc.hidden = {16};
  mc.input = {1, 13, 11}; // pooling drops the last row/column
  mc.classes = 10;
  OptimizerConfig oc;
  compare(mc, oc, 4);
}

TEST_CASE("gpu engine: CNN, 5x5 kernel on 3 channels, Adam with weight decay") {
  ModelConfig mc;
  mc.kind = "cnn";
  mc.conv_channels = {8};
  mc.kernel_size = 5;
  mc.hidden = {};
  mc.input = {3, 8, 8};
  mc.classes = 3;
  OptimizerConfig oc;
  oc.kind = "adam";
  oc.lr = 0.005f;
  oc.weight_decay = 1e-2f;
  compare(mc, oc, 3);
}

TEST_CASE("gpu engine: the Fashion-MNIST CNN shape, a full batch") {
  ModelConfig mc; // the defaults kf-trainer uses: 28x28, 16 and 32 filters, dense 128, 64
  mc.kind = "cnn";
  OptimizerConfig oc;
  compare(mc, oc, 2);
}

TEST_CASE("gpu engine: CNN with batch norm, global average pooling and dropout, Adam") {
  ModelConfig mc;
  mc.kind = "cnn";
  mc.input = {2, 9, 11};
  mc.conv_channels = {4, 6};
  mc.hidden = {12};
  mc.batch_norm = true;  // batchnorm2d after each conv, batchnorm1d after the dense layer
  mc.global_pool = true; // [6, 2, 2] -> [6]
  mc.dense_dropout = 0.3f;
  OptimizerConfig oc;
  oc.kind = "adam";
  oc.lr = 0.01f;
  // The dense bias before batchnorm1d has a gradient of rounding noise, which
  // Adam's default eps would turn into steps of lr in either direction; this
  // eps keeps them small, as SGD does.
  oc.eps = 1e-3f;
  compare(mc, oc, 4);
}

// Over one rank the sums are the batch's own, so this checks the twin's
// synchronised path (sums of x and x^2, moments, the count through NCCL),
// not that it synchronises: test_gpu.sh's two workers do.
TEST_CASE("gpu engine: CNN with SyncBatchNorm over one rank, SGD") {
  ModelConfig mc;
  mc.kind = "cnn";
  mc.input = {1, 8, 8};
  mc.conv_channels = {3};
  mc.hidden = {6};
  mc.batch_norm = true;
  OptimizerConfig oc;
  compare(mc, oc, 3, true);
}

TEST_CASE("gpu engine: MLP with batchnorm1d and dropout, SGD") {
  ModelConfig mc;
  mc.input = {1, 6, 5};
  mc.hidden = {16, 8};
  mc.batch_norm = true;
  mc.dense_dropout = 0.5f;
  OptimizerConfig oc;
  oc.lr = 0.05f;
  compare(mc, oc, 3);
}

// The text models: ids checked on the host, tables updated densely (so
// plain SGD, where dense and the CPU's lazy row updates agree).
TEST_CASE("gpu engine: embedding bag, SGD") {
  ModelConfig mc;
  mc.kind = "embeddingbag";
  mc.vocab_rows = 50;
  mc.embedding_dim = 12;
  mc.input = {9};
  mc.hidden = {10};
  mc.classes = 6;
  OptimizerConfig oc;
  oc.momentum = 0.0f;
  oc.lr = 0.5f;
  compare(mc, oc, 4);
}

TEST_CASE("gpu engine: transformer, mean and cls pooling, hashed features, dropout") {
  for (const std::string pooling : {"mean", "cls"}) {
    CAPTURE(pooling);
    ModelConfig mc;
    mc.kind = "transformer";
    mc.vocab_rows = 40;
    mc.embedding_dim = 16;
    mc.heads = 4;
    mc.encoder_layers = 2;
    mc.ffn_dim = 24;
    mc.dropout = 0.2f;
    mc.pooling = pooling;
    mc.hash_slots = 3;
    mc.input = {10}; // 7 token slots, 3 hashed features
    mc.hidden = {};
    mc.classes = 5;
    OptimizerConfig oc;
    oc.momentum = 0.0f;
    oc.lr = 0.1f;
    compare(mc, oc, 4);
  }
}

TEST_CASE("gpu engine: a token id outside the table is refused as on the CPU") {
  ModelConfig mc;
  mc.kind = "transformer";
  mc.vocab_rows = 10;
  mc.embedding_dim = 8;
  mc.heads = 2;
  mc.encoder_layers = 1;
  mc.ffn_dim = 8;
  mc.input = {4};
  mc.hidden = {};
  mc.classes = 3;
  Model model(mc, 1);
  OptimizerConfig oc;
  Optimizer opt(oc, model.params());
  auto comm = make_local_communicator();
  auto gpu = make_gpu_engine(model, opt, *comm, g_gpu, nullptr);
  REQUIRE(gpu != nullptr);
  Tensor x({1, 4});
  x.data = {3.0f, 12.0f, 0.0f, 0.0f};
  CHECK_THROWS_WITH_AS(gpu->evaluate(x, {0}), "embedding: id 12.000000 is outside the table's 10 rows", Error);
}

int main(int argc, char** argv) {
  g_gpu = probe_gpu(0);
  if (!g_gpu.available) {
    std::printf("skip: no GPU (%s)\n", g_gpu.description.c_str());
    return 77;
  }
  std::printf("GPU: %s\n", g_gpu.description.c_str());
  doctest::Context context(argc, argv);
  return context.run();
}
