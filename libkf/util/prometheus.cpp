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
  const std::size_t at = rest.find_first_not_of(" \t");
  if (at == std::string_view::npos) return std::nullopt; // a name and no value
  const std::string number(rest.substr(at));
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || (*end != '\0' && *end != ' ' && *end != '\t')) return std::nullopt;
  return v;
}

// Parses `{k="v",...}` at the start of `rest` into labels; the rest after '}'.
std::optional<std::string_view> parse_labels(std::string_view rest, std::map<std::string, std::string>& labels) {
  std::size_t i = 1;
  while (i < rest.size() && rest[i] != '}') {
    const std::size_t eq = rest.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= rest.size() || rest[eq + 1] != '"') return std::nullopt;
    const std::string key(rest.substr(i, eq - i));
    std::string value;
    std::size_t j = eq + 2;
    for (; j < rest.size() && rest[j] != '"'; ++j) {
      if (rest[j] == '\\' && j + 1 < rest.size()) {
        ++j;
        value += rest[j] == 'n' ? '\n' : rest[j];
      } else {
        value += rest[j];
      }
    }
    if (j >= rest.size()) return std::nullopt;
    labels[key] = value;
    i = j + 1;
    if (i < rest.size() && rest[i] == ',') ++i;
  }
  if (i >= rest.size()) return std::nullopt;
  return rest.substr(i + 1);
}

} // namespace

std::vector<Sample> samples_of(std::string_view text, std::string_view metric) {
  std::vector<Sample> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#' || line.substr(0, metric.size()) != metric) continue;
    const auto value = value_of(line, metric);
    if (!value) continue;
    Sample s;
    s.value = *value;
    std::string_view rest = line.substr(metric.size());
    if (!rest.empty() && rest.front() == '{' && !parse_labels(rest, s.labels)) continue;
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<double> sum_of(std::string_view text, std::string_view metric) {
  std::optional<double> sum;
  for (const Sample& s : samples_of(text, metric)) sum = sum.value_or(0) + s.value;
  return sum;
}

} // namespace kf::prometheus
