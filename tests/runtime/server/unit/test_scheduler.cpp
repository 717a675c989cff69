// Executors and dynamic batching (runtime/server/scheduler.cpp): batched
// results equal unbatched ones; requests within the window share one pass.
#include "tests/runtime/server/unit/support.h"
#include "runtime/server/scheduler.h"

#include <doctest/doctest.h>

#include <thread>

using namespace kf::server;
namespace fs = std::filesystem;

namespace {

std::vector<float> sample(std::size_t n, std::size_t seed) {
  std::vector<float> x(n * 16);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 31 + seed * 17) % 97) / 96.0f;
  return x;
}

struct Loaded {
  explicit Loaded(const std::string& name, std::size_t replicas) : dir(test::temp_dir(name)) {
    test::export_tiny(dir);
    model = std::make_unique<ServedModel>(dir.string(), replicas);
  }
  ~Loaded() { fs::remove_all(dir); }
  fs::path dir;
  std::unique_ptr<ServedModel> model;
};

} // namespace

TEST_CASE("scheduler: without batching each request is its own pass") {
  Loaded l("nobatch", 2);
  ServerMetrics metrics;
  Scheduler s(*l.model, {}, metrics);
  const Prediction a = s.predict(sample(3, 1), 3);
  CHECK(a.n == 3);
  CHECK(a.labels.size() == 3);
  CHECK(a.probabilities.size() == 9);
  s.predict(sample(1, 2), 1);
  CHECK(metrics.render().find("kf_server_batch_size_count 2\n") != std::string::npos);
  CHECK(metrics.render().find("kf_server_inference_samples_total 4\n") != std::string::npos);
}

TEST_CASE("scheduler: requests inside the window run as one batch, with the same results") {
  Loaded l("batch", 1);
  ServerMetrics metrics;
  std::vector<Prediction> alone(4);
  {
    Scheduler plain(*l.model, {}, metrics);
    for (std::size_t i = 0; i < 4; ++i) alone[i] = plain.predict(sample(2, i), 2);
  }
  ServerMetrics batched_metrics;
  SchedulerOptions o;
  o.max_batch_size = 8;                        // 4 requests x 2 samples fill it exactly
  o.max_latency = std::chrono::seconds(30);    // so the pass starts when the batch is full, not on a timer
  Scheduler s(*l.model, o, batched_metrics);
  std::vector<Prediction> together(4);
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < 4; ++i) clients.emplace_back([&, i] { together[i] = s.predict(sample(2, i), 2); });
  for (auto& c : clients) c.join();
  const std::string text = batched_metrics.render();
  CHECK(text.find("kf_server_batch_size_count 1\n") != std::string::npos);
  CHECK(text.find("kf_server_batch_size_bucket{le=\"4\"} 0\n") != std::string::npos);
  CHECK(text.find("kf_server_batch_size_bucket{le=\"8\"} 1\n") != std::string::npos);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(together[i].labels == alone[i].labels);
    for (std::size_t j = 0; j < alone[i].probabilities.size(); ++j)
      CHECK(together[i].probabilities[j] == doctest::Approx(alone[i].probabilities[j]).epsilon(1e-6));
  }
}

TEST_CASE("scheduler: a request larger than the batch limit runs alone - stop() refuses new work") {
  Loaded l("large", 1);
  ServerMetrics metrics;
  SchedulerOptions o;
  o.max_batch_size = 2;
  Scheduler s(*l.model, o, metrics);
  CHECK(s.predict(sample(5, 0), 5).n == 5);
  s.stop();
  CHECK_THROWS_WITH(s.predict(sample(1, 0), 1), "the server is shutting down");
}
