#include "runtime/server/worker_pool.h"

#include <algorithm>

namespace kf::server {

WorkerPool::WorkerPool(std::size_t max_threads, std::size_t keep, std::chrono::milliseconds idle_for)
    : m_max(std::max<std::size_t>(max_threads, 1)), m_keep(std::min(keep, m_max)), m_idle_for(idle_for) {}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::enqueue(std::function<void()> fn) {
  std::unique_lock lock(m_mutex);
  join_ended(lock);
  m_jobs.push_back(std::move(fn));
  // Idle threads at least as many as the jobs waiting: one of them takes it.
  // Notified after the unlock: a thread woken under the lock would block on
  // it at once, and its unlock would cost a second wake-up (glibc's condition
  // variable hands no waiter over to the mutex).
  if (m_idle >= m_jobs.size() || m_threads.size() >= m_max) {
    lock.unlock();
    m_wake.notify_one();
    return;
  }
  std::thread t([this] { work(); });
  const auto id = t.get_id();
  m_threads.emplace(id, std::move(t));
  m_peak = std::max(m_peak, m_threads.size());
}

void WorkerPool::work() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    ++m_idle;
    const bool woken = m_wake.wait_for(lock, m_idle_for, [this] { return m_stopping || !m_jobs.empty(); });
    --m_idle;
    if (m_jobs.empty() && (m_stopping || (!woken && m_threads.size() - m_ended.size() > m_keep))) break;
    if (m_jobs.empty()) continue;
    auto job = std::move(m_jobs.front());
    m_jobs.pop_front();
    lock.unlock();
    job();
    job = nullptr; // the connection's captures go before the lock is taken again
    lock.lock();
  }
  m_ended.push_back(std::this_thread::get_id());
  m_ended_cv.notify_all();
}

void WorkerPool::join_ended(std::unique_lock<std::mutex>& lock) {
  if (m_ended.empty()) return;
  std::vector<std::thread> done;
  for (const auto& id : m_ended) {
    auto it = m_threads.find(id);
    done.push_back(std::move(it->second));
    m_threads.erase(it);
  }
  m_ended.clear();
  lock.unlock(); // they are past the lock; joining waits only for them to return
  for (auto& t : done) t.join();
  lock.lock();
}

void WorkerPool::on_idle() {
  std::unique_lock lock(m_mutex);
  join_ended(lock);
}

void WorkerPool::shutdown() {
  std::unique_lock lock(m_mutex);
  m_stopping = true;
  m_wake.notify_all();
  while (!m_threads.empty()) {
    m_ended_cv.wait(lock, [this] { return !m_ended.empty(); });
    join_ended(lock);
  }
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(m_mutex);
  return m_threads.size() - m_ended.size();
}

std::size_t WorkerPool::peak() const {
  std::lock_guard lock(m_mutex);
  return m_peak;
}

} // namespace kf::server
