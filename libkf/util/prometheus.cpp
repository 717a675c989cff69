#include "libkf/util/prometheus.h"

#include <cstdlib>
#include <string>

namespace kf::prometheus {

namespace {

// The sample's value, when `line` is a sample of `metric`.
std::optional<double> value_of(std::string_view line, std::string_view metric) {
  if (line.substr(0, metric.size()) != metric) return std::nullopt;
  std::string_view rest = line.substr(metric.size());
  if (!rest.empty() && rest.front() == '{') {
    // Label values may hold '}' inside quotes.
    bool quoted = false;
    std::size_t i = 1;
    for (; i < rest.size(); ++i) {
      if (rest[i] == '\\' && quoted) ++i;
      else if (rest[i] == '"') quoted = !quoted;
      else if (rest[i] == '}' && !quoted) break;
    }
    if (i >= rest.size()) return std::nullopt;
    rest.remove_prefix(i + 1);
  }
  if (rest.empty() || (rest.front() != ' ' && rest.front() != '\t')) return std::nullopt; // another metric's name
  const std::string number(rest.substr(rest.find_first_not_of(" \t")));
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || (*end != '\0' && *end != ' ' && *end != '\t')) return std::nullopt;
  return v;
}

} // namespace

std::optional<double> sum_of(std::string_view text, std::string_view metric) {
  std::optional<double> sum;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (const auto v = value_of(line, metric)) sum = sum.value_or(0) + *v;
  }
  return sum;
}

} // namespace kf::prometheus
