// kf-server's /metrics + model.json -> the serving section of `kf status RUN`.
#include "libkf/action/serving_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include "libkf/util/prometheus.h"

namespace kf::action {

namespace {

// A counter's sample: finite and not negative (anything else is a broken exporter's).
bool counter_value(const prometheus::Sample& s) { return std::isfinite(s.value) && s.value >= 0; }

bool inference_endpoint(const prometheus::Sample& s) {
  auto it = s.labels.find("endpoint");
  return it != s.labels.end() && (it->second == "infer" || it->second == "v1_predict");
}

// The latency buckets of both inference endpoints, summed by le.
std::vector<std::pair<double, double>> latency_buckets(std::string_view text) {
  std::map<double, double> by_le;
  for (const auto& s : prometheus::samples_of(text, "kf_server_request_duration_seconds_bucket")) {
    auto le = s.labels.find("le");
    if (!inference_endpoint(s) || le == s.labels.end() || !counter_value(s)) continue;
    const double bound = le->second == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(le->second.c_str(), nullptr);
    by_le[bound] += s.value;
  }
  return {by_le.begin(), by_le.end()};
}

// A count for JSON: whole, and within long long.
long long whole(double v) {
  return v >= 9.2e18 ? std::numeric_limits<long long>::max() : static_cast<long long>(v);
}

// "low" < 0.1 <= "moderate" < 0.25 <= "high": the usual reading of a PSI.
const char* drift_level(double psi) { return psi < 0.1 ? "low" : psi < 0.25 ? "moderate" : "high"; }

} // namespace

double histogram_quantile(double q, const std::vector<std::pair<double, double>>& buckets) {
  if (buckets.empty() || buckets.back().second <= 0) return 0.0;
  const double rank = q * buckets.back().second;
  double prev_le = 0.0, prev_count = 0.0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(le)) return prev_le;
      if (count == prev_count) return le;
      return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count);
    }
    prev_le = le;
    prev_count = count;
  }
  return prev_le;
}

double population_stability_index(const std::vector<double>& actual, const std::vector<double>& expected) {
  double sum_a = 0.0, sum_e = 0.0;
  for (double v : actual) sum_a += v;
  for (double v : expected) sum_e += v;
  if (sum_a <= 0 || sum_e <= 0) return 0.0;
  double psi = 0.0;
  for (std::size_t i = 0; i < std::max(actual.size(), expected.size()); ++i) {
    const double a = std::max(i < actual.size() ? actual[i] / sum_a : 0.0, 1e-4);
    const double e = std::max(i < expected.size() ? expected[i] / sum_e : 0.0, 1e-4);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

Json serving_stats(std::string_view text, const Json& model) {
  Json out = Json::object();
  double requests = 0.0, errors = 0.0;
  for (const auto& s : prometheus::samples_of(text, "kf_server_requests_total")) {
    if (!inference_endpoint(s) || !counter_value(s)) continue;
    requests += s.value;
    auto code = s.labels.find("code");
    if (code != s.labels.end() && std::strtol(code->second.c_str(), nullptr, 10) >= 400) errors += s.value;
  }
  out["requests"] = whole(requests);
  out["errors"] = whole(errors);
  const auto buckets = latency_buckets(text);
  if (!buckets.empty() && buckets.back().second > 0)
    out["latency"] = {{"p50", histogram_quantile(0.5, buckets)}, {"p99", histogram_quantile(0.99, buckets)}};
  if (!buckets.empty()) {
    Json le = Json::array(), counts = Json::array();
    for (const auto& [bound, count] : buckets) {
      if (std::isfinite(bound)) le.push_back(bound);
      counts.push_back(count);
    }
    out["latencyBuckets"] = {{"le", le}, {"counts", counts}}; // counts has one more: +Inf
  }
  const auto confidence_sum = prometheus::sum_of(text, "kf_server_prediction_confidence_sum");
  const auto confidence_count = prometheus::sum_of(text, "kf_server_prediction_confidence_count");
  if (confidence_sum && confidence_count && *confidence_count > 0 && std::isfinite(*confidence_sum / *confidence_count))
    out["confidence"] = *confidence_sum / *confidence_count;

  // Answers by class, named as the server names them: the class name, else its index.
  std::vector<std::string> names;
  if (model.contains("labels") && model["labels"].is_array())
    for (const auto& l : model["labels"]) names.push_back(l.is_string() ? l.get<std::string>() : "");
  std::vector<double> training;
  if (model.contains("class_counts") && model["class_counts"].is_array())
    for (const auto& c : model["class_counts"])
      training.push_back(c.is_number() && std::isfinite(c.get<double>()) ? std::max(c.get<double>(), 0.0) : 0.0);
  const std::size_t k = std::max(names.size(), training.size());
  std::vector<double> served(k, 0.0);
  double answers = 0.0;
  for (const auto& s : prometheus::samples_of(text, "kf_server_predictions_total")) {
    auto c = s.labels.find("class");
    if (c == s.labels.end() || !counter_value(s)) continue;
    answers += s.value;
    auto named = std::find(names.begin(), names.end(), c->second);
    std::size_t i = named != names.end() ? static_cast<std::size_t>(named - names.begin())
                                         : static_cast<std::size_t>(std::strtoull(c->second.c_str(), nullptr, 10));
    if (i < k) served[i] += s.value;
  }
  out["answers"] = whole(answers);
  if (answers <= 0 || k == 0) return out;
  double training_total = 0.0;
  for (double v : training) training_total += v;
  Json classes = Json::array();
  for (std::size_t i = 0; i < k; ++i) {
    if (served[i] <= 0 && (i >= training.size() || training[i] <= 0)) continue;
    Json c = {{"class", i < names.size() && !names[i].empty() ? names[i] : std::to_string(i)}, {"served", served[i] / answers}};
    if (training_total > 0) c["training"] = i < training.size() ? training[i] / training_total : 0.0;
    classes.push_back(c);
  }
  std::stable_sort(classes.begin(), classes.end(),
                   [](const Json& a, const Json& b) { return a["served"].get<double>() > b["served"].get<double>(); });
  out["classes"] = classes;
  if (training_total > 0) {
    const double psi = population_stability_index(served, training);
    out["drift"] = {{"psi", psi}, {"level", drift_level(psi)}};
  }
  return out;
}

} // namespace kf::action

namespace kf::action {

bool ServingTrend::add(double t, const Json& s) {
  if (m_have_last && t >= m_last_t && t - m_last_t < m_min_interval) return false;
  const double requests = s.value("requests", 0.0), errors = s.value("errors", 0.0);
  std::vector<double> le, counts;
  if (s.contains("latencyBuckets")) {
    for (const auto& v : s["latencyBuckets"].value("le", Json::array())) le.push_back(v.get<double>());
    for (const auto& v : s["latencyBuckets"].value("counts", Json::array())) counts.push_back(v.get<double>());
  }
  // A restarted server starts its counters again: treat that sample as a first one.
  const bool interval = m_have_last && t > m_last_t && requests >= m_last_requests;
  if (interval) {
    Point p;
    p.t = t;
    const double done = requests - m_last_requests;
    p.rate = done / (t - m_last_t);
    p.error_share = done > 0 ? (errors - m_last_errors) / done : 0.0;
    if (counts.size() == le.size() + 1 && m_last_counts.size() == counts.size() && counts.back() > m_last_counts.back()) {
      std::vector<std::pair<double, double>> delta;
      for (std::size_t i = 0; i < counts.size(); ++i)
        delta.emplace_back(i < le.size() ? le[i] : std::numeric_limits<double>::infinity(), counts[i] - m_last_counts[i]);
      p.p50 = histogram_quantile(0.5, delta);
      p.p99 = histogram_quantile(0.99, delta);
    }
    m_points.push_back(p);
    while (m_points.size() > m_width) m_points.pop_front();
  }
  m_have_last = true;
  m_last_t = t;
  m_last_requests = requests;
  m_last_errors = errors;
  m_last_counts = counts;
  return interval;
}

std::string sparkline(const std::vector<double>& values) {
  static const char* const k_blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  double top = 0.0;
  for (double v : values) top = std::max(top, v);
  std::string out;
  for (double v : values) {
    if (v < 0) {
      out += ' ';
      continue;
    }
    const int level = top > 0 ? std::min(7, static_cast<int>(v / top * 7.0 + 0.5)) : 0;
    out += k_blocks[level];
  }
  return out;
}

} // namespace kf::action
