#pragma once
// What `kf status RUN` shows of a model server: its requests, errors and
// latency percentiles, and its answers by class against the training set's
// class distribution with a drift score (the population stability index),
// computed from kf-server's /metrics text and the served model.json.

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/json.h"

namespace kf::action {

// {"requests", "errors", "latency": {"p50", "p99"} (seconds),
//  "latencyBuckets": {"le": [finite bounds], "counts": [cumulative, +Inf last]}, "answers",
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

namespace kf::action {

// What `kf status RUN -w` draws of a model server: successive
// serving_stats() samples turned into what happened in each interval —
// requests per second, the share that failed, and the p50 / p99 latency of
// the interval's requests (quantiles of the histogram's bucket deltas) —
// keeping the last `width` intervals.
class ServingTrend {
public:
  struct Point {
    double t = 0.0;           // seconds, the interval's end
    double rate = 0.0;        // requests / s
    double error_share = 0.0; // 0..1
    double p50 = -1.0, p99 = -1.0; // seconds; -1 when the interval had no requests
  };
  // Samples closer than `min_interval` seconds to the last one are ignored.
  explicit ServingTrend(std::size_t width = 40, double min_interval = 0.95)
      : m_width(width), m_min_interval(min_interval) {}
  // A sample at `t` seconds (any origin): serving_stats()'s object. True
  // when it closed an interval (a point was added).
  bool add(double t, const Json& serving);
  const std::deque<Point>& points() const { return m_points; }

private:
  std::size_t m_width;
  double m_min_interval;
  bool m_have_last = false;
  double m_last_t = 0.0, m_last_requests = 0.0, m_last_errors = 0.0;
  std::vector<double> m_last_counts;
  std::deque<Point> m_points;
};

// Block characters U+2581..U+2588 for values scaled from 0 to their maximum;
// a negative value (nothing measured) is a space.
std::string sparkline(const std::vector<double>& values);

} // namespace kf::action
