// Gradient buckets and the communication thread (overlap.h).
#include "runtime/overlap.h"

namespace kf::trainer {

std::vector<GradientBucket> plan_buckets(const std::vector<std::size_t>& layer_floats, std::size_t min_floats) {
  std::size_t end = 0;
  for (std::size_t f : layer_floats) end += f;
  std::vector<GradientBucket> out;
  std::size_t begin = end;
  for (std::size_t i = layer_floats.size(); i-- > 0;) {
    begin -= layer_floats[i];
    if (end - begin >= min_floats || (i == 0 && end > begin)) {
      out.push_back({i, begin, end});
      end = begin;
    }
  }
  return out;
}

AsyncAllreduce::AsyncAllreduce(Communicator& comm) : m_comm(comm), m_thread([this] { run(); }) {}

AsyncAllreduce::~AsyncAllreduce() {
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_cv.notify_all();
  m_thread.join();
}

void AsyncAllreduce::enqueue(float* data, std::size_t n) {
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_queue.emplace_back(data, n);
    ++m_busy;
  }
  m_cv.notify_all();
}

void AsyncAllreduce::wait() {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait(lock, [this] { return m_busy == 0; });
  if (m_error) {
    const std::exception_ptr e = m_error;
    m_error = nullptr;
    std::rethrow_exception(e);
  }
}

void AsyncAllreduce::run() {
  std::unique_lock<std::mutex> lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [this] { return m_stop || !m_queue.empty(); });
    if (m_queue.empty()) return; // stopping
    const auto [data, n] = m_queue.front();
    m_queue.pop_front();
    const bool failed = m_error != nullptr; // after a failure the ranks are out of step: reduce nothing more
    lock.unlock();
    std::exception_ptr error;
    if (!failed) {
      try {
        m_comm.allreduce_sum(data, n);
      } catch (...) {
        error = std::current_exception();
      }
    }
    lock.lock();
    if (error && !m_error) m_error = error;
    --m_busy;
    m_cv.notify_all();
  }
}

} // namespace kf::trainer
