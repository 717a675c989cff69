#pragma once
// Reading Prometheus's text exposition format (what kf-server's /metrics
// answers): `# HELP`/`# TYPE` comments, then samples
// `name{label="value",...} value [timestamp]`.

#include <optional>
#include <string>
#include <string_view>

namespace kf::prometheus {

// The sum of every sample of `metric` (all its label sets); nullopt when the
// text has none. A line that is not a sample is passed over.
std::optional<double> sum_of(std::string_view text, std::string_view metric);

} // namespace kf::prometheus
