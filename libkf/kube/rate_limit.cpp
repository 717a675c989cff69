#include "libkf/kube/rate_limit.h"

#include <algorithm>
#include <thread>

namespace kf::kube {

TokenBucket::TokenBucket(double qps, int burst, Clock now)
    : m_qps(qps), m_burst(std::max(burst, 1)), m_now(std::move(now)), m_tokens(m_burst), m_last(m_now()) {}

std::chrono::nanoseconds TokenBucket::reserve() {
  if (m_qps <= 0) return std::chrono::nanoseconds(0);
  const std::lock_guard lock(m_mu);
  const auto now = m_now();
  if (now > m_last) {
    const double earned = std::chrono::duration<double>(now - m_last).count() * m_qps;
    m_tokens = std::min(m_burst, m_tokens + earned);
    m_last = now;
  }
  m_tokens -= 1;
  if (m_tokens >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(-m_tokens / m_qps));
}

std::chrono::nanoseconds TokenBucket::wait() {
  const auto delay = reserve();
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return delay;
}

InFlightLimit::InFlightLimit(int max) : m_max(max) {}

void InFlightLimit::acquire() {
  std::unique_lock lock(m_mu);
  if (m_max > 0 && m_in_flight >= m_max) {
    ++m_waiting;
    m_cv.wait(lock, [&] { return m_in_flight < m_max; });
    --m_waiting;
  }
  ++m_in_flight;
}

void InFlightLimit::release() {
  {
    const std::lock_guard lock(m_mu);
    --m_in_flight;
  }
  m_cv.notify_one();
}

int InFlightLimit::in_flight() const {
  const std::lock_guard lock(m_mu);
  return m_in_flight;
}

int InFlightLimit::waiting() const {
  const std::lock_guard lock(m_mu);
  return m_waiting;
}

} // namespace kf::kube
