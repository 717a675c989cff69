#pragma once
// Reading Prometheus's text exposition format (what kf-server's /metrics
// answers): `# HELP`/`# TYPE` comments, then samples
// `name{label="value",...} value [timestamp]`.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kf::prometheus {

// The sum of every sample of `metric` (all its label sets); nullopt when the
// text has none. A line that is not a well-formed sample is passed over.
std::optional<double> sum_of(std::string_view text, std::string_view metric);

struct Sample {
  std::map<std::string, std::string> labels; // escapes (\\, \", \n) undone
  double value = 0.0;
};

// Every sample of `metric`, in the text's order; malformed lines are passed over.
std::vector<Sample> samples_of(std::string_view text, std::string_view metric);

} // namespace kf::prometheus
