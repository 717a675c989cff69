// Argo's durations (duration.h).
#include "libkf/workflow/duration.h"

#include <cmath>
#include <cstdlib>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::workflow {

double parse_duration(const std::string& text) {
  const std::string s = str::trim(text);
  const auto bad = [&] { return Error("invalid duration " + str::quote(text) + " (a number of seconds, or as 30s, 5m, 1h30m)"); };
  if (s.empty()) throw bad();
  char* end = nullptr;
  const double plain = std::strtod(s.c_str(), &end);
  if (end && *end == '\0') return plain;
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const char* start = s.c_str() + i;
    const double n = std::strtod(start, &end);
    if (end == start) throw bad();
    i = static_cast<std::size_t>(end - s.c_str());
    std::size_t j = i;
    while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
    const std::string unit = s.substr(i, j - i);
    i = j;
    if (unit == "h") total += n * 3600;
    else if (unit == "m") total += n * 60;
    else if (unit == "s") total += n;
    else if (unit == "ms") total += n / 1e3;
    else if (unit == "us" || unit == "µs") total += n / 1e6;
    else if (unit == "ns") total += n / 1e9;
    else throw bad();
  }
  return total;
}

std::string format_duration(double seconds) {
  if (seconds < 60) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", std::round(seconds * 1000) / 1000);
    return std::string(buf) + "s";
  }
  auto s = static_cast<long long>(std::round(seconds));
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  s %= 3600;
  out += std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return out;
}

} // namespace kf::workflow
