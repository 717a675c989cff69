// The threads that run kf-server's requests. The HTTP transport
// (http_server.h) reads requests on one event loop, so connections hold no
// thread; a request whose body has arrived runs here (an inference may wait
// for its batch). The pool grows a thread whenever a job finds none idle,
// up to a cap, and lets extra threads go after they sit idle; a job past
// the cap waits in the queue.
#pragma once

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

class WorkerPool {
public:
  // Up to `max_threads` threads; `keep` of them stay however long idle,
  // the others end after `idle_for` without work.
  WorkerPool(std::size_t max_threads, std::size_t keep, std::chrono::milliseconds idle_for);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void enqueue(std::function<void()> fn);
  void shutdown(); // runs what was queued, then joins every thread
  void on_idle();  // joins threads that ended (enqueue() does too)

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
