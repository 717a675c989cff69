// Loading an export for inference (runtime/server/served_model.cpp):
// replicas agree with the trainer's own Model, errors name the file.
#include "tests/runtime/server/unit/support.h"
#include "runtime/safetensors.h"
#include "runtime/server/served_model.h"

#include <doctest/doctest.h>

#include <fstream>

using namespace kf::server;
namespace fs = std::filesystem;

namespace {

std::vector<float> inputs(std::size_t n) {
  std::vector<float> x(n * 16);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 100.0f;
  return x;
}

} // namespace

TEST_CASE("served model: every replica computes the trainer's logits") {
  for (const std::string kind : {"mlp", "cnn"}) {
    const fs::path dir = test::temp_dir("replicas-" + kind);
    test::export_tiny(dir, kind);
    ServedModel served(dir.string(), 3);
    CHECK(served.replicas() == 3);
    CHECK(served.signature().sample_shape == std::vector<std::size_t>{1, 4, 4});
    CHECK(served.signature().classes == 3);
    CHECK(served.signature().uint8_divisor == 255.0f);
    kf::trainer::Model reference(test::tiny_config(kind), 42);
    kf::trainer::Tensor x({5, 1, 4, 4});
    x.data = inputs(5);
    const std::vector<float> want = reference.forward(x).data;
    for (std::size_t r = 0; r < 3; ++r) CHECK(served.forward(r, x.data.data(), 5) == want);
    fs::remove_all(dir);
  }
}

TEST_CASE("served model: every replica has BatchNorm's running statistics, not its initial ones") {
  kf::trainer::ModelConfig c = test::tiny_config("cnn");
  c.batch_norm = true;
  kf::trainer::Model trained(c, 42);
  kf::trainer::Tensor x({5, 1, 4, 4});
  x.data = inputs(5);
  for (int i = 0; i < 4; ++i) trained.train_batch(x, {0, 1, 2, 0, 1}, 0.2f); // moves the running statistics
  const std::vector<float> want = trained.forward(x).data;
  const fs::path dir = test::temp_dir("replicas-bn");
  kf::trainer::export_model(dir.string(), trained, {});
  ServedModel served(dir.string(), 3);
  for (std::size_t r = 0; r < 3; ++r) CHECK(served.forward(r, x.data.data(), 5) == want);
  fs::remove_all(dir);
}

TEST_CASE("served model: probabilities are a softmax, labels the first maximal logit") {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f, 0.0f, -1.0f};
  Prediction p;
  predict_from_logits(logits.data(), 2, 3, p);
  CHECK(p.n == 2);
  CHECK(p.labels == std::vector<std::int64_t>{1, 1});
  CHECK(p.probabilities[1] == doctest::Approx(0.4683).epsilon(1e-3));
  CHECK(p.probabilities[0] + p.probabilities[1] + p.probabilities[2] == doctest::Approx(1.0));
  CHECK(p.probabilities[4] == doctest::Approx(0.6652).epsilon(1e-3));
}

TEST_CASE("served model: a numeric input.scale in model.json sets the UINT8 divisor") {
  const fs::path dir = test::temp_dir("scale");
  kf::trainer::Model m(test::tiny_config(), 1);
  kf::trainer::export_model(dir.string(), m, {{"input", {{"shape", {1, 4, 4}}, {"scale", 0.5}}}});
  CHECK(ServedModel(dir.string(), 1).signature().uint8_divisor == 2.0f);
  fs::remove_all(dir);
}

TEST_CASE("served model: load errors name the file") {
  const fs::path dir = test::temp_dir("errors");
  CHECK(test::error_of([&] { ServedModel(dir.string(), 1); }) ==
        "cannot read " + (dir / "model.json").string() + ": No such file or directory");
  test::export_tiny(dir);
  const std::string weights = (dir / "model.safetensors").string();
  const std::string bytes = kf::trainer::read_file(weights);
  std::ofstream(weights, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 10);
  CHECK(test::error_of([&] { ServedModel(dir.string(), 1); }).find(weights) == 0);
  fs::remove(weights);
  CHECK(test::error_of([&] { ServedModel(dir.string(), 1); }) ==
        "cannot read " + weights + ": No such file or directory");
  std::ofstream(dir / "model.json") << "{not json";
  CHECK(test::error_of([&] { ServedModel(dir.string(), 1); }).find((dir / "model.json").string() + " is not valid JSON") == 0);
  fs::remove_all(dir);
}
