// BatchNorm, Dropout, global average pooling and augmentation: gradients
// against finite differences, torch's running statistics, the models and
// files they go into, and the flags' refusals.
#include "runtime/augment.h"
#include "runtime/checkpoint.h"
#include "runtime/cli.h"
#include "runtime/error.h"
#include "runtime/export.h"
#include "runtime/model.h"
#include "tests/runtime/unit/gradcheck.h"
#include "tests/runtime/unit/support.h"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace kf::trainer;
using namespace kf::trainer::test;

namespace {

// Gamma and beta away from their initial 1 and 0, so their gradients are general.
void perturb_affine(BatchNorm& bn, std::uint64_t seed) {
  Rng rng(seed);
  for (float& g : bn.params()[0]->value) g = rng.uniform(0.5f, 1.5f);
  for (float& b : bn.params()[1]->value) b = rng.uniform(-0.5f, 0.5f);
}

// The options kf-trainer's command line gives for `args`.
TrainerOptions parse(std::vector<std::string> args) {
  CLI::App app;
  TrainerOptions o;
  CliExtras x;
  add_trainer_flags(app, o, x);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  finish_options(o, x);
  return o;
}

} // namespace

TEST_CASE("batchnorm2d, training: gradients through the batch statistics match finite differences") {
  BatchNorm bn(3, true, "bn");
  perturb_affine(bn, 1);
  bn.set_training(true);
  check_layer_gradients(bn, random_tensor({4, 3, 3, 2}, 2), 1e-2);
}

TEST_CASE("batchnorm1d, training and evaluation: gradients match finite differences") {
  BatchNorm bn(5, false, "bn");
  perturb_affine(bn, 3);
  SUBCASE("training") {
    bn.set_training(true);
    check_layer_gradients(bn, random_tensor({6, 5}, 4), 1e-2);
  }
  SUBCASE("evaluation: the running statistics are constants") {
    Rng rng(5);
    for (float& m : bn.buffers()[0]->value) m = rng.uniform(-0.5f, 0.5f);
    for (float& v : bn.buffers()[1]->value) v = rng.uniform(0.5f, 2.0f);
    check_layer_gradients(bn, random_tensor({6, 5}, 6), 1e-2);
  }
}

TEST_CASE("batchnorm: normalises each channel and keeps torch's running statistics") {
  BatchNorm bn(2, true, "bn");
  bn.set_training(true);
  // Channel 0 holds 1, 2, 3, 4 over two samples of 1x2; channel 1 is constant 5.
  Tensor x({2, 2, 1, 2});
  x.data = {1, 2, 5, 5, 3, 4, 5, 5};
  Tensor out;
  bn.forward(x, out);
  // mean 2.5, biased variance 1.25: (1 - 2.5) / sqrt(1.25 + 1e-5)
  CHECK(out.data[0] == doctest::Approx(-1.5 / std::sqrt(1.25 + 1e-5)));
  CHECK(out.data[2] == doctest::Approx(0.0));
  // torch: running_mean = 0.9 * 0 + 0.1 * 2.5; running_var = 0.9 * 1 + 0.1 * (unbiased 5/3)
  CHECK(bn.buffers()[0]->value[0] == doctest::Approx(0.25));
  CHECK(bn.buffers()[1]->value[0] == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0));
  CHECK(bn.buffers()[0]->value[1] == doctest::Approx(0.5));
  CHECK(bn.buffers()[1]->value[1] == doctest::Approx(0.9));
  // Evaluation uses the running statistics: (1 - 0.25) / sqrt(running_var + eps).
  bn.set_training(false);
  bn.forward(x, out);
  CHECK(out.data[0] == doctest::Approx(0.75 / std::sqrt(0.9 + 0.5 / 3.0 + 1e-5)));
  CHECK(bn.config()["type"] == "batchnorm2d");
  CHECK(bn.buffers()[1]->name == "bn.running_var");
  CHECK_THROWS_WITH(bn.output_shape({3, 4, 4}), "batchnorm2d expects [2, H, W] inputs");
}

TEST_CASE("global average pooling: gradients match finite differences") {
  GlobalAvgPool2d pool;
  check_layer_gradients(pool, random_tensor({2, 3, 4, 5}, 7));
  CHECK(pool.output_shape({3, 4, 5}) == Shape{3});
  CHECK_THROWS_WITH(pool.output_shape({12}), "globalavgpool2d needs a [C, H, W] input");
}

TEST_CASE("dropout: zeroes about p of the elements in training, scales the rest, identity in evaluation") {
  Dropout drop(0.25f, 9);
  const Tensor x = random_tensor({50, 40}, 8, 0.5f, 1.5f); // no zeros of its own
  Tensor out, din;
  drop.forward(x, out);
  CHECK(out.data == x.data); // evaluation
  drop.set_training(true);
  drop.forward(x, out);
  const Tensor dout = random_tensor({50, 40}, 10);
  drop.backward(x, out, dout, &din);
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    if (out.data[i] == 0.0f) {
      ++zeros;
      CHECK(din.data[i] == 0.0f);
    } else {
      CHECK(out.data[i] == doctest::Approx(x.data[i] / 0.75f));
      CHECK(din.data[i] == doctest::Approx(dout.data[i] / 0.75f));
    }
  }
  CHECK(zeros > 400); // 2000 elements, 500 expected
  CHECK(zeros < 600);
  CHECK_THROWS_WITH(Dropout(1.0f, 1), "--dropout must be in [0, 1)");
}

TEST_CASE("models with batch norm and global pooling: parameter gradients match finite differences") {
  for (const std::string kind : {"mlp", "cnn"}) {
    CAPTURE(kind);
    ModelConfig c = small_image_model(kind);
    c.batch_norm = true;
    c.global_pool = kind == "cnn";
    Model model(c, 11);
    const Tensor x = random_tensor({5, 1, 6, 6}, 12, 0.0f, 1.0f);
    check_model_gradients(model, x, {0, 2, 3, 1, 0}, 3, true);
    CHECK(model.buffers().size() == (kind == "cnn" ? 4 : 2)); // running mean and variance per BatchNorm
  }
}

TEST_CASE("models: the layers --batch-norm, --global-pool and --dropout add, in torch's order (the pool before the activation: they commute)") {
  ModelConfig c = small_image_model("cnn");
  c.batch_norm = true;
  c.global_pool = true;
  c.dense_dropout = 0.2f;
  Model model(c, 1);
  std::vector<std::string> types;
  for (auto& layer : model.layers()) types.push_back(layer->config()["type"]);
  CHECK(types == std::vector<std::string>{"conv2d", "batchnorm2d", "maxpool2d", "tanh", "globalavgpool2d", "dense",
                                          "batchnorm1d", "tanh", "dropout", "dense"});
  const nlohmann::json j = model.config_json();
  CHECK(j["batch_norm"] == true);
  CHECK(j["global_pool"] == true);
  // A model without them writes the config it always wrote (old checkpoints still resume).
  CHECK_FALSE(Model(small_image_model("cnn"), 1).config_json().contains("batch_norm"));

  ModelConfig text;
  text.kind = "embeddingbag";
  text.input = {8};
  text.vocab_rows = 10;
  text.batch_norm = true;
  CHECK_THROWS_WITH(Model(text, 1), "--batch-norm is for the image models (mlp, cnn), not --model=embeddingbag");
  text.kind = "transformer";
  CHECK_THROWS_WITH(Model(text, 1), "--batch-norm is for the image models (mlp, cnn), not --model=transformer (it has "
                                    "LayerNorm)");
  text.batch_norm = false;
  text.dense_dropout = 0.25f;
  CHECK_THROWS_WITH(Model(text, 1), "dense_dropout is for the image models (mlp, cnn), not --model=transformer (its "
                                    "dropout is `dropout`)");
  ModelConfig mlp = small_image_model("mlp");
  mlp.global_pool = true;
  CHECK_THROWS_WITH(Model(mlp, 1), "--global-pool needs --model=cnn");
}

TEST_CASE("batch norm: the running statistics are exported, checkpointed and served back") {
  ModelConfig c = small_image_model("cnn");
  c.batch_norm = true;
  Model model(c, 3);
  const Tensor x = random_tensor({4, 1, 6, 6}, 13, 0.0f, 1.0f);
  for (int i = 0; i < 3; ++i) model.train_batch(x, {0, 1, 2, 3}, 0.25f);
  const Tensor logits = model.forward(x); // evaluation: the running statistics

  const auto dir = temp_dir("unit", "export-bn");
  export_model(dir.string(), model, {});
  LoadedModel loaded = load_exported_model(dir.string());
  CHECK(loaded.model->config().batch_norm);
  REQUIRE(loaded.model->buffers().size() == model.buffers().size());
  CHECK(loaded.model->buffers()[0]->value == model.buffers()[0]->value);
  CHECK(loaded.model->forward(x).data == logits.data);
  std::filesystem::remove_all(dir);

  OptimizerConfig oc;
  Optimizer opt(oc, model.params());
  Model other(c, 4);
  Optimizer other_opt(oc, other.params());
  decode_checkpoint(encode_checkpoint(model, opt, TrainProgress{}), "ckpt", other, other_opt);
  CHECK(other.buffers()[1]->value == model.buffers()[1]->value);
  // The optimizer never sees the running statistics.
  for (Param* p : model.params()) CHECK(p->name.find("running") == std::string::npos);
}

TEST_CASE("augment: crop shifts with zeros, flip mirrors, each sample its own") {
  Tensor x({1, 1, 3, 3});
  x.data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  SUBCASE("flip only: every sample is itself or its mirror") {
    Tensor many({64, 1, 3, 3});
    for (std::size_t i = 0; i < 64; ++i) std::copy(x.data.begin(), x.data.end(), many.data.begin() + static_cast<std::ptrdiff_t>(i * 9));
    Rng rng(1);
    augment_batch(many, parse_augment("flip"), rng);
    std::size_t mirrored = 0;
    for (std::size_t i = 0; i < 64; ++i) {
      const std::vector<float> s(many.data.begin() + static_cast<std::ptrdiff_t>(i * 9),
                                 many.data.begin() + static_cast<std::ptrdiff_t>(i * 9 + 9));
      if (s == std::vector<float>{3, 2, 1, 6, 5, 4, 9, 8, 7}) ++mirrored;
      else CHECK(s == x.data);
    }
    CHECK(mirrored > 16);
    CHECK(mirrored < 48);
  }
  SUBCASE("crop: a shifted copy, zero-filled, the pixels kept in order") {
    Augment a = parse_augment("crop");
    a.shift = 1;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      Tensor y = x;
      Rng rng(seed);
      augment_batch(y, a, rng);
      // Some (dy, dx) in [-1, 1]^2 explains every pixel.
      bool explained = false;
      for (int dy = -1; dy <= 1 && !explained; ++dy)
        for (int dx = -1; dx <= 1 && !explained; ++dx) {
          bool all = true;
          for (int r = 0; r < 3; ++r)
            for (int col = 0; col < 3; ++col) {
              const int sr = r + dy, sc = col + dx;
              const float want = sr >= 0 && sr < 3 && sc >= 0 && sc < 3 ? x.data[static_cast<std::size_t>(sr * 3 + sc)] : 0.0f;
              all = all && y.data[static_cast<std::size_t>(r * 3 + col)] == want;
            }
          explained = all;
        }
      CHECK(explained);
    }
  }
  CHECK(parse_augment("flip,crop").crop);
  CHECK_FALSE(parse_augment("none").any());
  CHECK_THROWS_WITH(parse_augment("rotate"), "--augment=rotate: expected none, or crop and flip separated by a comma");
}

TEST_CASE("flags: --dropout goes to the transformer or to the image models' dense layers") {
  CHECK(parse({"--model=mlp"}).model.dense_dropout == 0.0f);
  CHECK(parse({"--model=transformer"}).model.dropout == doctest::Approx(0.1));
  CHECK(parse({"--model=cnn", "--dropout=0.3"}).model.dense_dropout == doctest::Approx(0.3));
  CHECK(parse({"--model=transformer", "--dropout=0.3"}).model.dropout == doctest::Approx(0.3));
  const TrainerOptions o = parse({"--model=cnn", "--batch-norm", "--global-pool", "--augment=crop,flip"});
  CHECK(o.model.batch_norm);
  CHECK(o.model.global_pool);
  CHECK(o.augment == "crop,flip");
  CHECK(error_of([] { parse({"--dropout=1.5"}); }) == "--dropout=1.5: expected a probability in [0, 1)");
  CHECK(error_of([] { parse({"--dropout=x"}); }) == "--dropout=x: expected a probability in [0, 1)");
}

namespace {

// Two ranks in one process: each rank's sum() waits for the other's, and
// both get the total (an all-reduce of two).
class TwoRanks {
public:
  int calls = 0; // both ranks' all-reduces
  void sum(int rank, double* data, std::size_t n) {
    std::unique_lock lock(m_mutex);
    ++calls;
    const int generation = m_generation;
    m_parts[rank].assign(data, data + n);
    if (++m_arrived == 2) {
      CHECK(m_parts[0].size() == m_parts[1].size()); // the ranks are in step
      m_total = m_parts[0];
      for (std::size_t i = 0; i < std::min(m_total.size(), m_parts[1].size()); ++i) m_total[i] += m_parts[1][i];
      m_arrived = 0;
      ++m_generation;
      m_done.notify_all();
    } else {
      m_done.wait(lock, [&] { return m_generation != generation; });
    }
    std::copy_n(m_total.begin(), std::min(n, m_total.size()), data); // out of step, no more than was sent
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_done;
  std::vector<double> m_parts[2], m_total;
  int m_arrived = 0, m_generation = 0;
};

Tensor rows_of(const Tensor& x, std::size_t from, std::size_t count) {
  Shape shape = x.shape;
  shape[0] = count;
  Tensor part(shape);
  std::copy_n(x.data.begin() + static_cast<std::ptrdiff_t>(from * x.per_sample()), count * x.per_sample(), part.data.begin());
  return part;
}

} // namespace

TEST_CASE("sync batch norm: two ranks on halves train as one on the whole batch - unsynchronised they do not") {
  for (const std::string kind : {"mlp", "cnn"}) {
    CAPTURE(kind);
    ModelConfig c = small_image_model(kind);
    c.batch_norm = true;
    const Tensor x = random_tensor({8, 1, 6, 6}, 31, 0.0f, 1.0f);
    const std::vector<std::uint8_t> y = {0, 1, 2, 3, 3, 2, 1, 0}, ya(y.begin(), y.begin() + 5), yb(y.begin() + 5, y.end());
    Model full(c, 5), a(c, 5), b(c, 5), lone_a(c, 5), lone_b(c, 5);
    full.train_batch(x, y, 1.0f / 8);
    // Halves of unequal size (5 and 3), as the last batch of an epoch may be.
    TwoRanks world;
    a.synchronise([&](double* d, std::size_t n) { world.sum(0, d, n); });
    b.synchronise([&](double* d, std::size_t n) { world.sum(1, d, n); });
    const Tensor xa = rows_of(x, 0, 5), xb = rows_of(x, 5, 3);
    std::thread rank1([&] { b.train_batch(xb, yb, 1.0f / 8); });
    a.train_batch(xa, ya, 1.0f / 8);
    rank1.join();
    const auto pf = full.params(), pa = a.params(), pb = b.params();
    for (std::size_t i = 0; i < pf.size(); ++i)
      for (std::size_t j = 0; j < pf[i]->grad.size(); ++j)
        CHECK(std::fabs(pa[i]->grad[j] + pb[i]->grad[j] - pf[i]->grad[j]) <= 1e-6f + 1e-4f * std::fabs(pf[i]->grad[j]));
    const auto bf = full.buffers(), ba = a.buffers(), bb = b.buffers();
    REQUIRE(!bf.empty());
    // One all-reduce in each BatchNorm's forward and one in its backward (two buffers each).
    CHECK(world.calls == 2 * 2 * static_cast<int>(bf.size() / 2));
    for (std::size_t i = 0; i < bf.size(); ++i)
      for (std::size_t j = 0; j < bf[i]->value.size(); ++j) {
        CHECK(ba[i]->value[j] == doctest::Approx(bf[i]->value[j]).epsilon(1e-5));
        CHECK(bb[i]->value[j] == ba[i]->value[j]); // every rank keeps the same running statistics
      }
    // Without synchronising, a half's BatchNorm sees only its half: the sum is another gradient.
    lone_a.train_batch(xa, ya, 1.0f / 8);
    lone_b.train_batch(xb, yb, 1.0f / 8);
    const auto la = lone_a.params(), lb = lone_b.params();
    double apart = 0.0;
    for (std::size_t i = 0; i < pf.size(); ++i)
      for (std::size_t j = 0; j < pf[i]->grad.size(); ++j)
        apart = std::max(apart, std::fabs(static_cast<double>(la[i]->grad[j] + lb[i]->grad[j] - pf[i]->grad[j])));
    CHECK(apart > 1e-3);
  }
}

TEST_CASE("sync batch norm: the flag's refusals") {
  TrainerOptions o;
  o.sync_batch_norm = true;
  CHECK(error_of([&] { validate(o); }) == "--sync-batch-norm needs --batch-norm");
  o.model.batch_norm = true;
  validate(o);
  o.overlap = "on";
  CHECK(error_of([&] { validate(o); }) ==
        "--sync-batch-norm all-reduces inside backward, which --overlap-allreduce=on would send gradients beside; use "
        "--overlap-allreduce=off (auto does)");
}
