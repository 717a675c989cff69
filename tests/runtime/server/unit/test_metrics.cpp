// Prometheus text rendering (runtime/server/metrics.cpp).
#include "runtime/server/metrics.h"

#include <doctest/doctest.h>

using namespace kf::server;

TEST_CASE("metrics: histogram buckets are cumulative, le is inclusive") {
  Histogram h({1, 2, 4});
  h.observe(1);
  h.observe(3);
  h.observe(100);
  std::string out;
  h.render(out, "x", "a=\"b\"");
  CHECK(out == "x_bucket{a=\"b\",le=\"1\"} 1\n"
               "x_bucket{a=\"b\",le=\"2\"} 1\n"
               "x_bucket{a=\"b\",le=\"4\"} 2\n"
               "x_bucket{a=\"b\",le=\"+Inf\"} 3\n"
               "x_sum{a=\"b\"} 104\n"
               "x_count{a=\"b\"} 3\n");
}

TEST_CASE("metrics: batch sizes, samples and the in-flight gauge") {
  ServerMetrics m;
  m.batch(1);
  m.batch(8);
  m.in_flight(3);
  m.in_flight(-1);
  const std::string text = m.render();
  CHECK(text.find("# TYPE kf_server_batch_size histogram\n") != std::string::npos);
  CHECK(text.find("kf_server_batch_size_bucket{le=\"4\"} 1\n") != std::string::npos);
  CHECK(text.find("kf_server_batch_size_bucket{le=\"8\"} 2\n") != std::string::npos);
  CHECK(text.find("kf_server_batch_size_count 2\n") != std::string::npos);
  CHECK(text.find("kf_server_inference_samples_total 9\n") != std::string::npos);
  CHECK(text.find("kf_server_inference_requests_in_flight 2\n") != std::string::npos);
  CHECK(text.find("kf_server_request_errors_total 0\n") != std::string::npos);
}

TEST_CASE("metrics: answers by class (names escaped, else indices) and their confidence") {
  ServerMetrics m;
  // Two answers of a 3-class model with names; one of a model without.
  m.predictions({2, 0}, {0.1f, 0.2f, 0.7f, 0.96f, 0.02f, 0.02f}, {"card_arrival", "x", "say \"hi\"\\\n"});
  m.predictions({1}, {0.3f, 0.35f, 0.35f}, {});
  const std::string text = m.render();
  CHECK(text.find("# TYPE kf_server_predictions_total counter\n") != std::string::npos);
  CHECK(text.find("kf_server_predictions_total{class=\"card_arrival\"} 1\n") != std::string::npos);
  CHECK(text.find("kf_server_predictions_total{class=\"say \\\"hi\\\"\\\\\\n\"} 1\n") != std::string::npos);
  CHECK(text.find("kf_server_predictions_total{class=\"1\"} 1\n") != std::string::npos);
  CHECK(text.find("kf_server_prediction_confidence_bucket{le=\"0.4\"} 1\n") != std::string::npos);
  CHECK(text.find("kf_server_prediction_confidence_bucket{le=\"0.9\"} 2\n") != std::string::npos);
  CHECK(text.find("kf_server_prediction_confidence_count 3\n") != std::string::npos);
}
