#pragma once
// What `kf status RUN` shows of a model server: its requests, errors and
// latency percentiles, and its answers by class against the training set's
// class distribution with a drift score (the population stability index),
// computed from kf-server's /metrics text and the served model.json.

#include <string_view>

#include "libkf/util/json.h"

namespace kf::action {

// {"requests", "errors", "latency": {"p50", "p99"} (seconds), "answers",
//  "confidence" (mean), "classes": [{"class", "served", "training"}]
//  (fractions, most served first), "drift": {"psi", "level"}}; parts the
// text or model.json cannot give are left out.
Json serving_stats(std::string_view metrics_text, const Json& model_info);

// Prometheus's histogram_quantile over cumulative buckets {le, count}
// (le ascending, the last +Inf): linear within the bucket; 0 when empty.
double histogram_quantile(double q, const std::vector<std::pair<double, double>>& buckets);

// The population stability index of `actual` against `expected` (counts
// over the same classes; each share floored at 1e-4).
double population_stability_index(const std::vector<double>& actual, const std::vector<double>& expected);

} // namespace kf::action
