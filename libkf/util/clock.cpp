#include "libkf/util/clock.h"

#include <chrono>
#include <ctime>

namespace kf {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(std::int64_t epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// From now_ms, not std::time: glibc's time() reads the coarse clock, which
// lags system_clock by up to a tick, so a time() stamp taken after a now_ms()
// one could name the second before it (kube-sim's events sorted out of order).
std::string now_rfc3339() { return rfc3339(now_ms() / 1000); }

std::optional<std::int64_t> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  if (text.empty() || strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

} // namespace kf
