// Prometheus counters and histograms for kf-server.
#include "runtime/server/metrics.h"

#include <algorithm>
#include <charconv>

namespace kf::server {

namespace {

std::string number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

const std::vector<double> k_latency_bounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                              0.025,  0.05,    0.1,    0.25,  0.5,    1.0,  2.5, 10.0};
const std::vector<double> k_batch_bounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};

} // namespace

Histogram::Histogram(std::vector<double> bounds) : m_bounds(std::move(bounds)), m_counts(m_bounds.size() + 1, 0) {}

void Histogram::observe(double value) {
  const auto at = std::lower_bound(m_bounds.begin(), m_bounds.end(), value) - m_bounds.begin();
  ++m_counts[static_cast<std::size_t>(at)];
  m_sum += value;
  ++m_count;
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= m_bounds.size(); ++i) {
    cumulative += m_counts[i];
    const std::string le = i < m_bounds.size() ? number(m_bounds[i]) : "+Inf";
    out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"" + le + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  std::string braces;
  if (!labels.empty()) {
    braces = "{";
    braces += labels;
    braces += "}";
  }
  out += std::string(name) + "_sum" + braces + " " + number(m_sum) + "\n";
  out += std::string(name) + "_count" + braces + " " + std::to_string(m_count) + "\n";
}

ServerMetrics::ServerMetrics()
    : m_batch(k_batch_bounds), m_confidence({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99}) {}

namespace {

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

} // namespace

void ServerMetrics::predictions(const std::vector<std::int64_t>& labels, const std::vector<float>& probabilities,
                                const std::vector<std::string>& names) {
  const std::size_t n = labels.size();
  const std::size_t k = n == 0 ? 0 : probabilities.size() / n;
  std::lock_guard lock(m_mutex);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::size_t>(labels[i]);
    ++m_classes[c < names.size() ? names[c] : std::to_string(labels[i])];
    if (c < k) m_confidence.observe(static_cast<double>(probabilities[i * k + c]));
  }
}

void ServerMetrics::request(std::string_view endpoint, int status, double seconds) {
  std::lock_guard lock(m_mutex);
  ++m_requests[{std::string(endpoint), status}];
  if (status >= 400) ++m_errors;
  auto it = m_latency.find(endpoint);
  if (it == m_latency.end()) it = m_latency.emplace(std::string(endpoint), Histogram(k_latency_bounds)).first;
  it->second.observe(seconds);
}

void ServerMetrics::batch(std::size_t samples) {
  std::lock_guard lock(m_mutex);
  m_batch.observe(static_cast<double>(samples));
  m_samples += samples;
}

namespace {

// A metric family's HELP and TYPE lines (Prometheus' text format).
void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

// A family of one unlabelled sample.
void single(std::string& out, const char* name, const char* type, const char* help, const std::string& value) {
  family(out, name, type, help);
  out += std::string(name) + " " + value + "\n";
}

} // namespace

std::string ServerMetrics::render() const {
  std::lock_guard lock(m_mutex);
  std::string out;
  family(out, "kf_server_requests_total", "counter", "HTTP requests by endpoint and status code.");
  for (const auto& [key, count] : m_requests)
    out += "kf_server_requests_total{endpoint=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(count) + "\n";
  single(out, "kf_server_request_errors_total", "counter", "HTTP responses with a status of 400 or more.",
         std::to_string(m_errors));
  family(out, "kf_server_request_duration_seconds", "histogram",
         "Time from the parsed request to the response, by endpoint.");
  for (const auto& [endpoint, histogram] : m_latency)
    histogram.render(out, "kf_server_request_duration_seconds", "endpoint=\"" + endpoint + "\"");
  family(out, "kf_server_batch_size", "histogram", "Samples per forward pass (one GEMM batch).");
  m_batch.render(out, "kf_server_batch_size", "");
  single(out, "kf_server_inference_samples_total", "counter", "Samples run through the model.",
         std::to_string(m_samples));
  family(out, "kf_server_predictions_total", "counter", "Answers by predicted class.");
  for (const auto& [name, count] : m_classes)
    out += "kf_server_predictions_total{class=\"" + label_value(name) + "\"} " + std::to_string(count) + "\n";
  family(out, "kf_server_prediction_confidence", "histogram", "The probability the model gave its answer.");
  m_confidence.render(out, "kf_server_prediction_confidence", "");
  single(out, "kf_server_inference_requests_in_flight", "gauge", "Inference requests being served now.",
         std::to_string(m_in_flight.load()));
  return out;
}

} // namespace kf::server
