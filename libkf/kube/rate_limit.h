#pragma once
// Client-side flow control, as client-go does it:
//   - TokenBucket: `qps` tokens a second, at most `burst` saved up (a full
//     bucket at start); every request takes one and waits when the bucket is
//     empty. Like golang.org/x/time/rate, a reservation may drive the bucket
//     negative: the wait is how long until that token will have been earned,
//     so waiters are served in order.
//   - InFlightLimit: at most N requests on the wire at once.
// Long-running requests (watches, followed logs) take neither (client-go
// does not throttle watches either). Both are thread-safe.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace kf::kube {

class TokenBucket {
public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // qps <= 0: no limit. burst < 1 counts as 1. `now` is injectable for tests.
  TokenBucket(double qps, int burst, Clock now = std::chrono::steady_clock::now);
  // Takes a token; returns how long to wait before using it (0 when one was saved up).
  std::chrono::nanoseconds reserve();
  // reserve(), then sleeps that long; returns the wait.
  std::chrono::nanoseconds wait();

private:
  double m_qps;
  double m_burst;
  Clock m_now;
  std::mutex m_mu;
  double m_tokens;
  std::chrono::steady_clock::time_point m_last;
};

class InFlightLimit {
public:
  explicit InFlightLimit(int max); // max < 1: no limit
  void acquire();
  void release();
  int in_flight() const;
  int waiting() const; // callers blocked in acquire()

  // Holds one slot for its lifetime.
  class Slot {
  public:
    explicit Slot(InFlightLimit& limit) : m_limit(limit) { m_limit.acquire(); }
    ~Slot() { m_limit.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

  private:
    InFlightLimit& m_limit;
  };

private:
  const int m_max;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  int m_in_flight = 0;
  int m_waiting = 0;
};

} // namespace kf::kube
