// The threads that serve kf-server's connections. cpp-httplib gives each
// connection a thread for as long as it lives, so a fixed pool is held by
// idle, half-sent or trickling connections and a healthy client queues
// behind them (64 stalled sockets stopped /v2/health/ready answering).
// This pool grows a thread whenever a connection finds none idle, up to a
// cap, and lets extra threads go after they sit idle; a connection past the
// cap waits for a thread as before.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace kf::server {

class ConnectionPool final : public httplib::TaskQueue {
public:
  // Up to `max_threads` threads; `keep` of them stay however long idle,
  // the others end after `idle_for` without work.
  ConnectionPool(std::size_t max_threads, std::size_t keep, std::chrono::milliseconds idle_for);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override; // runs what was queued, then joins every thread
  void on_idle() override;  // httplib calls it between accepts: joins threads that ended

  std::size_t threads() const; // running now
  std::size_t peak() const;    // most ever running at once

private:
  void work();
  void join_ended(std::unique_lock<std::mutex>& lock);

  const std::size_t m_max;
  const std::size_t m_keep;
  const std::chrono::milliseconds m_idle_for;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;     // a job or shutdown for the threads
  std::condition_variable m_ended_cv; // a thread left work()
  std::deque<std::function<void()>> m_jobs;
  std::map<std::thread::id, std::thread> m_threads;
  std::vector<std::thread::id> m_ended; // left work(), not yet joined
  std::size_t m_idle = 0;
  std::size_t m_peak = 0;
  bool m_stopping = false;
};

} // namespace kf::server
