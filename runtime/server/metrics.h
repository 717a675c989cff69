#pragma once
// ServerMetrics: what kf-server exposes on GET /metrics, in the Prometheus
// text format (version 0.0.4):
//   kf_server_requests_total{endpoint,code}          counter
//   kf_server_request_errors_total                   counter (responses >= 400)
//   kf_server_request_duration_seconds{endpoint}     histogram
//   kf_server_batch_size                             histogram (samples per forward pass)
//   kf_server_inference_samples_total                counter
//   kf_server_inference_requests_in_flight           gauge
//   kf_server_predictions_total{class}               counter (answers by class: its name, else its index)
//   kf_server_prediction_confidence                  histogram (the answer's softmax probability)
// Endpoints are route names ("infer", "v1_predict", "live", ...), never raw
// paths, so the label set stays bounded. Thread-safe.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kf::server {

class Histogram {
public:
  explicit Histogram(std::vector<double> bounds); // upper bounds, ascending; +Inf is implied
  void observe(double value);
  // Appends NAME_bucket{LABELS,le=...}, NAME_sum and NAME_count lines.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

private:
  std::vector<double> m_bounds;
  std::vector<std::uint64_t> m_counts; // per bucket, not cumulative; last = +Inf
  double m_sum = 0.0;
  std::uint64_t m_count = 0;
};

class ServerMetrics {
public:
  ServerMetrics();
  void request(std::string_view endpoint, int status, double seconds);
  void batch(std::size_t samples);
  // The answers of one request: labels [n], probabilities [n, classes];
  // `names` are the model's class names (may be empty).
  void predictions(const std::vector<std::int64_t>& labels, const std::vector<float>& probabilities,
                   const std::vector<std::string>& names);
  void in_flight(int delta) { m_in_flight += delta; }
  int in_flight() const { return m_in_flight.load(); }
  std::string render() const;

private:
  mutable std::mutex m_mutex;
  std::map<std::pair<std::string, int>, std::uint64_t> m_requests;
  std::uint64_t m_errors = 0;
  std::map<std::string, Histogram, std::less<>> m_latency;
  Histogram m_batch;
  std::uint64_t m_samples = 0;
  std::map<std::string, std::uint64_t> m_classes;
  Histogram m_confidence;
  std::atomic<int> m_in_flight{0};
};

} // namespace kf::server
