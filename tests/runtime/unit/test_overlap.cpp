// The all-reduce that overlaps backward: bucket plans, the communication
// thread's order and failures, and a CPU engine step against a world of one.
#include "runtime/engine.h"
#include "runtime/error.h"
#include "runtime/overlap.h"
#include "tests/runtime/unit/gradcheck.h"
#include "tests/runtime/unit/support.h"

#include <mutex>

using namespace kf::trainer;
using namespace kf::trainer::test;

namespace {

// A world of `size` ranks that all hold the same data: a sum all-reduce
// multiplies by the size. Records each call's offset from `base`, and
// throws once `fail_after` calls have been made.
class MirrorComm : public Communicator {
public:
  explicit MirrorComm(int size) : m_size(size) {}
  int rank() const override { return 0; }
  int size() const override { return m_size; }
  void allreduce_sum(float* data, std::size_t n) override {
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (calls.size() == fail_after) throw Error("all-reduce timed out after 600 s (rank 1 is gone)");
    calls.emplace_back(base == nullptr ? 0 : static_cast<std::size_t>(data - base), n);
    for (std::size_t i = 0; i < n; ++i) data[i] *= static_cast<float>(m_size);
  }
  void allreduce_sum(double* data, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) data[i] *= m_size;
  }
  void broadcast(std::vector<char>&, int) override {}
  void barrier() override {}

  const float* base = nullptr;
  std::size_t fail_after = static_cast<std::size_t>(-1);
  std::vector<std::pair<std::size_t, std::size_t>> calls;

private:
  int m_size;
  std::mutex m_mutex;
};

} // namespace

TEST_CASE("buckets: whole layers, last first, at least the minimum, covering every gradient") {
  // Layers of 10, 0 (an activation), 30, 0, 5 floats.
  const std::vector<std::size_t> layers = {10, 0, 30, 0, 5};
  CHECK(plan_buckets(layers, 20) == std::vector<GradientBucket>{{2, 10, 45}, {0, 0, 10}});
  CHECK(plan_buckets(layers, 1) == std::vector<GradientBucket>{{4, 40, 45}, {2, 10, 40}, {0, 0, 10}});
  CHECK(plan_buckets(layers, 1000) == std::vector<GradientBucket>{{0, 0, 45}});
  CHECK(plan_buckets({0, 0}, 1).empty());
}

TEST_CASE("async all-reduce: in the order enqueued, and a failure reaches the waiter") {
  MirrorComm comm(2);
  std::vector<float> buffer(8, 1.0f);
  comm.base = buffer.data();
  {
    AsyncAllreduce async(comm);
    async.enqueue(buffer.data() + 6, 2);
    async.enqueue(buffer.data() + 2, 4);
    async.wait();
    CHECK(comm.calls == std::vector<std::pair<std::size_t, std::size_t>>{{6, 2}, {2, 4}});
    CHECK(buffer == std::vector<float>{1, 1, 2, 2, 2, 2, 2, 2});
    comm.fail_after = 3;
    async.enqueue(buffer.data(), 1);
    async.enqueue(buffer.data() + 1, 1); // the failing one
    async.enqueue(buffer.data() + 2, 1); // not sent: the ranks are out of step
    CHECK(error_of([&] { async.wait(); }) == "all-reduce timed out after 600 s (rank 1 is gone)");
    CHECK(comm.calls.size() == 3);
    async.wait(); // the failure was reported once
  }
}

TEST_CASE("cpu engine, several ranks: buckets go out last layers first, and the step equals a world of one's") {
  ModelConfig c = small_image_model("mlp");
  c.hidden = {300, 300}; // layers large enough for several buckets
  c.input = {1, 16, 16};
  Model overlapped(c, 5), single(c, 5);
  OptimizerConfig oc;
  oc.kind = "adam";
  Optimizer opt_a(oc, overlapped.params()), opt_b(oc, single.params());
  MirrorComm two(2);
  auto one = make_local_communicator();
  auto engine_a = make_cpu_engine(overlapped, opt_a, two, true);
  auto engine_b = make_cpu_engine(single, opt_b, *one);
  const Tensor x = random_tensor({8, 1, 16, 16}, 6, 0.0f, 1.0f);
  const std::vector<std::uint8_t> y = {0, 1, 2, 3, 0, 1, 2, 3};
  // Two identical ranks with grad_scale 1/16 sum to one rank's gradient at 1/8.
  const LossResult a = engine_a->train_step(x, y, 1.0f / 16, 0.01f);
  const LossResult b = engine_b->train_step(x, y, 1.0f / 8, 0.01f);
  CHECK(a.loss_sum == doctest::Approx(2 * b.loss_sum));
  CHECK(a.correct == 2 * b.correct);
  for (std::size_t i = 0; i < overlapped.params().size(); ++i)
    CHECK(overlapped.params()[i]->value == single.params()[i]->value);
  // The head and the second dense layer pass the bucket size (64 Ki floats)
  // together, the first dense layer alone: they go out in that order, then
  // the loss and the correct count.
  REQUIRE(two.calls.size() == 3);
  CHECK(two.calls[0].second == 300 * 300 + 300 + 4 * 300 + 4);
  CHECK(two.calls[1].second == 256 * 300 + 300);
  CHECK(two.calls[2].second == 2);
}

TEST_CASE("cpu engine without overlap: every gradient, the loss and the correct count in one all-reduce") {
  Model model(small_image_model("mlp"), 5);
  Optimizer opt(OptimizerConfig{}, model.params());
  MirrorComm two(2);
  auto engine = make_cpu_engine(model, opt, two, false);
  CHECK(engine->name() == "cpu (OpenBLAS, Gloo)");
  engine->train_step(random_tensor({4, 1, 6, 6}, 7, 0.0f, 1.0f), {0, 1, 2, 3}, 0.125f, 0.01f);
  REQUIRE(two.calls.size() == 1);
  CHECK(two.calls[0].second == model.parameter_count() + 2);
}
