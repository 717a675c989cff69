// Executors, the request queue and dynamic batching.
#include "runtime/server/scheduler.h"

#include "runtime/error.h"

namespace kf::server {

Scheduler::Scheduler(ServedModel& model, const SchedulerOptions& options, ServerMetrics& metrics)
    : m_model(model), m_options(options), m_metrics(metrics) {
  if (m_options.max_batch_size == 0) m_options.max_batch_size = 1;
  for (std::size_t r = 0; r < m_model.replicas(); ++r) {
    if (m_options.max_batch_size > 1) m_threads.emplace_back([this, r] { executor(r); });
    else m_free.push_back(r);
  }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  for (std::thread& t : m_threads)
    if (t.joinable()) t.join();
}

Prediction Scheduler::predict(const std::vector<float>& x, std::size_t n) {
  if (m_options.max_batch_size <= 1) return run_inline(x, n);
  auto job = std::make_shared<Job>();
  job->x = &x;
  job->n = n;
  job->arrived = std::chrono::steady_clock::now();
  std::future<Prediction> result = job->result.get_future();
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) throw trainer::Error("the server is shutting down");
    m_queue.push_back(std::move(job));
  }
  m_cv.notify_one();
  return result.get();
}

Prediction Scheduler::run_inline(const std::vector<float>& x, std::size_t n) {
  std::size_t replica = 0;
  {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_stopping || !m_free.empty(); });
    if (m_stopping) throw trainer::Error("the server is shutting down");
    replica = m_free.back();
    m_free.pop_back();
  }
  struct Release {
    Scheduler& s;
    std::size_t replica;
    ~Release() {
      {
        std::lock_guard lock(s.m_mutex);
        s.m_free.push_back(replica);
      }
      s.m_cv.notify_one();
    }
  } release{*this, replica};
  if (m_options.debug_delay.count() > 0) std::this_thread::sleep_for(m_options.debug_delay);
  const std::vector<float>& logits = m_model.forward(replica, x.data(), n);
  m_metrics.batch(n);
  Prediction p;
  predict_from_logits(logits.data(), n, m_model.signature().classes, p);
  return p;
}

void Scheduler::executor(std::size_t replica) {
  std::vector<std::shared_ptr<Job>> batch;
  std::vector<float> x;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
      if (m_queue.empty()) return; // stopping, and nothing left to run
      std::size_t samples = m_queue.front()->n;
      const auto deadline = m_queue.front()->arrived + m_options.max_latency;
      batch.push_back(std::move(m_queue.front()));
      m_queue.pop_front();
      while (samples < m_options.max_batch_size) {
        if (!m_queue.empty()) {
          if (samples + m_queue.front()->n > m_options.max_batch_size) break;
          samples += m_queue.front()->n;
          batch.push_back(std::move(m_queue.front()));
          m_queue.pop_front();
        } else if (m_stopping || std::chrono::steady_clock::now() >= deadline) {
          break;
        } else {
          m_cv.wait_until(lock, deadline);
        }
      }
    }
    run(replica, batch, x);
  }
}

void Scheduler::run(std::size_t replica, std::vector<std::shared_ptr<Job>>& batch, std::vector<float>& x) {
  const std::size_t classes = m_model.signature().classes;
  try {
    std::size_t total = 0;
    for (const auto& job : batch) total += job->n;
    const float* input = batch[0]->x->data();
    if (batch.size() > 1) {
      x.clear();
      for (const auto& job : batch) x.insert(x.end(), job->x->begin(), job->x->end());
      input = x.data();
    }
    if (m_options.debug_delay.count() > 0) std::this_thread::sleep_for(m_options.debug_delay);
    const std::vector<float>& logits = m_model.forward(replica, input, total);
    m_metrics.batch(total);
    std::size_t row = 0;
    for (auto& job : batch) {
      Prediction p;
      predict_from_logits(logits.data() + row * classes, job->n, classes, p);
      row += job->n;
      job->result.set_value(std::move(p));
    }
  } catch (...) {
    for (auto& job : batch) {
      try {
        job->result.set_exception(std::current_exception());
      } catch (const std::future_error&) { // this job already has its value
      }
    }
  }
}

} // namespace kf::server
