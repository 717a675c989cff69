#pragma once
// Scheduler: runs inference requests on the model's replicas, with optional
// dynamic batching. Without batching (max_batch_size 1) the calling thread
// borrows a free replica and runs its request itself (no hand-off). With
// batching, each executor thread owns one replica. An executor takes
// the oldest queued request; when max_batch_size > 1 it keeps adding queued
// requests (oldest first, whole requests only) until the batch holds
// max_batch_size samples or max_latency has passed since the first request
// arrived, then runs them as one forward pass (one GEMM per layer) and hands
// each request its rows. A request larger than max_batch_size runs alone.
// Predictor is the narrow interface the HTTP API sees (tests fake it).
// Thread-safety: predict() from any number of threads; stop() once.

#include "runtime/server/metrics.h"
#include "runtime/server/served_model.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kf::server {

class Predictor {
public:
  virtual ~Predictor() = default;
  // x: n samples of C*H*W scaled floats. Blocks until done; throws on failure.
  virtual Prediction predict(const std::vector<float>& x, std::size_t n) = 0;
};

struct SchedulerOptions {
  std::size_t max_batch_size = 1;             // samples per forward pass across requests; 1 = no batching
  std::chrono::microseconds max_latency{0};   // how long a batch waits for more requests (0: only what is queued)
  std::chrono::milliseconds debug_delay{0};   // sleep before each forward pass (tests of shutdown)
};

class Scheduler : public Predictor {
public:
  // One executor per model replica.
  Scheduler(ServedModel& model, const SchedulerOptions& options, ServerMetrics& metrics);
  ~Scheduler() override;
  Prediction predict(const std::vector<float>& x, std::size_t n) override;
  // Runs what is queued, then joins the executors; later predict() calls throw.
  void stop();

private:
  struct Job {
    const std::vector<float>* x;
    std::size_t n;
    std::chrono::steady_clock::time_point arrived;
    std::promise<Prediction> result;
  };
  Prediction run_inline(const std::vector<float>& x, std::size_t n);
  void executor(std::size_t replica);
  void run(std::size_t replica, std::vector<std::shared_ptr<Job>>& batch, std::vector<float>& x);

  ServedModel& m_model;
  SchedulerOptions m_options;
  ServerMetrics& m_metrics;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::shared_ptr<Job>> m_queue;
  std::vector<std::size_t> m_free; // replicas not in use (no batching)
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace kf::server
