// kf status's serving section (libkf/action/serving_stats.cpp): Prometheus
// samples with labels, histogram quantiles, the PSI, and the whole view from
// a /metrics text as kf-server writes it.
#include <doctest/doctest.h>

#include "libkf/action/serving_stats.h"
#include "libkf/util/prometheus.h"

using namespace kf;

TEST_CASE("prometheus samples: labels with escapes, malformed lines passed over") {
  const std::string text = "# HELP x a\n"
                           "x{class=\"say \\\"hi\\\"\\\\\\n\",code=\"200\"} 3\n"
                           "x 4\n"
                           "x{broken=\"} 5\n"
                           "xy{a=\"b\"} 6\n"
                           "x{a=\"b\"} \n"  // a name and no value (found by fuzz_prometheus)
                           "x   \n";
  const auto s = prometheus::samples_of(text, "x");
  REQUIRE(s.size() == 2);
  CHECK(s[0].labels.at("class") == "say \"hi\"\\\n");
  CHECK(s[0].labels.at("code") == "200");
  CHECK(s[0].value == 3);
  CHECK(s[1].labels.empty());
}

TEST_CASE("histogram_quantile: linear in the bucket, as Prometheus's") {
  using B = std::vector<std::pair<double, double>>;
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(action::histogram_quantile(0.5, B{{0.001, 0}, {0.002, 10}, {inf, 10}}) == doctest::Approx(0.0015));
  CHECK(action::histogram_quantile(0.99, B{{0.001, 50}, {0.01, 100}, {inf, 100}}) == doctest::Approx(0.00982));
  CHECK(action::histogram_quantile(0.99, B{{0.001, 50}, {inf, 100}}) == doctest::Approx(0.001)); // in +Inf: the last bound
  CHECK(action::histogram_quantile(0.5, B{}) == 0.0);
}

TEST_CASE("population stability index: 0 for the same shares, larger as they part") {
  CHECK(action::population_stability_index({10, 20, 30}, {1, 2, 3}) == doctest::Approx(0.0));
  const double small = action::population_stability_index({45, 55}, {50, 50});
  const double large = action::population_stability_index({90, 10}, {50, 50});
  CHECK(small == doctest::Approx(0.05 * std::log(1.1 / 0.9)));
  CHECK(large > 0.25);
  CHECK(action::population_stability_index({}, {1}) == 0.0);
}

TEST_CASE("serving_stats: requests, errors, latency, answers by class against the training set") {
  const std::string text =
      "kf_server_requests_total{endpoint=\"infer\",code=\"200\"} 8\n"
      "kf_server_requests_total{endpoint=\"infer\",code=\"400\"} 1\n"
      "kf_server_requests_total{endpoint=\"v1_predict\",code=\"200\"} 1\n"
      "kf_server_requests_total{endpoint=\"live\",code=\"200\"} 50\n"
      "kf_server_request_duration_seconds_bucket{endpoint=\"infer\",le=\"0.001\"} 4\n"
      "kf_server_request_duration_seconds_bucket{endpoint=\"infer\",le=\"0.002\"} 9\n"
      "kf_server_request_duration_seconds_bucket{endpoint=\"infer\",le=\"+Inf\"} 9\n"
      "kf_server_request_duration_seconds_bucket{endpoint=\"v1_predict\",le=\"0.001\"} 1\n"
      "kf_server_request_duration_seconds_bucket{endpoint=\"v1_predict\",le=\"0.002\"} 1\n"
      "kf_server_request_duration_seconds_bucket{endpoint=\"v1_predict\",le=\"+Inf\"} 1\n"
      "kf_server_predictions_total{class=\"card_arrival\"} 6\n"
      "kf_server_predictions_total{class=\"refund\"} 3\n"
      "kf_server_prediction_confidence_sum 7.2\n"
      "kf_server_prediction_confidence_count 9\n";
  const Json model = {{"labels", {"card_arrival", "refund", "top_up"}}, {"class_counts", {50, 30, 20}}};
  const Json s = action::serving_stats(text, model);
  CHECK(s["requests"] == 10);
  CHECK(s["errors"] == 1);
  CHECK(s["latency"]["p50"].get<double>() == doctest::Approx(0.001));
  CHECK(s["latency"]["p99"].get<double>() == doctest::Approx(0.001 + 0.001 * (9.9 - 5) / 5));
  CHECK(s["answers"] == 9);
  CHECK(s["confidence"].get<double>() == doctest::Approx(0.8));
  REQUIRE(s["classes"].size() == 3);
  CHECK(s["classes"][0]["class"] == "card_arrival");
  CHECK(s["classes"][0]["served"].get<double>() == doctest::Approx(6.0 / 9));
  CHECK(s["classes"][0]["training"].get<double>() == doctest::Approx(0.5));
  CHECK(s["classes"][2]["class"] == "top_up");
  CHECK(s["classes"][2]["served"].get<double>() == 0.0);
  CHECK(s["drift"]["psi"].get<double>() ==
        doctest::Approx(action::population_stability_index({6, 3, 0}, {50, 30, 20})));
  CHECK(s["drift"]["level"] == "high");
  // An image model: classes by index, no names; no training counts, no drift.
  const Json plain = action::serving_stats("kf_server_predictions_total{class=\"1\"} 2\n", Json{{"class_counts", {1, 1}}});
  CHECK(plain["classes"][0]["class"] == "1");
  CHECK(plain["drift"]["level"] == "high");
  CHECK_FALSE(action::serving_stats("", Json::object()).contains("classes"));
}

TEST_CASE("serving trend: rates, error shares and latency quantiles of each interval, from cumulative samples") {
  action::ServingTrend trend(3);
  auto sample = [](double requests, double errors, std::vector<double> counts) {
    return Json{{"requests", requests}, {"errors", errors},
                {"latencyBuckets", {{"le", {0.001, 0.01, 0.1}}, {"counts", counts}}}};
  };
  CHECK_FALSE(trend.add(0.0, sample(10, 0, {10, 10, 10, 10})));
  CHECK(trend.points().empty());
  // 20 requests in 2 s, 2 failed; all of them between 1 and 10 ms.
  CHECK(trend.add(2.0, sample(30, 2, {10, 30, 30, 30})));
  REQUIRE(trend.points().size() == 1);
  CHECK(trend.points()[0].rate == doctest::Approx(10.0));
  CHECK(trend.points()[0].error_share == doctest::Approx(0.1));
  CHECK(trend.points()[0].p50 == doctest::Approx(0.0055)); // linear within (0.001, 0.01]
  CHECK(trend.points()[0].p99 == doctest::Approx(0.00991));
  // An idle second: no latency to show.
  CHECK(trend.add(3.0, sample(30, 2, {10, 30, 30, 30})));
  CHECK(trend.points()[1].rate == 0.0);
  CHECK(trend.points()[1].p99 < 0);
  // A restart (counters went down) starts over without a point; only `width` are kept.
  CHECK_FALSE(trend.add(4.0, sample(1, 0, {1, 1, 1, 1})));
  CHECK(trend.add(5.0, sample(5, 0, {1, 1, 5, 5})));
  CHECK(trend.add(6.0, sample(6, 0, {1, 1, 6, 6})));
  CHECK(trend.points().size() == 3);
  CHECK(trend.points().front().t == 3.0);
  CHECK(trend.points().back().p50 == doctest::Approx(0.055));
  // A sample sooner than a second after the last one is ignored.
  CHECK_FALSE(trend.add(6.5, sample(60, 0, {1, 1, 60, 60})));
  CHECK(trend.points().back().t == 6.0);
}

TEST_CASE("sparkline: eighths of the maximum, a gap for nothing measured") {
  CHECK(action::sparkline({0, 1, 2, 4, 8}) == "\u2581\u2582\u2583\u2585\u2588");
  CHECK(action::sparkline({1, -1, 1}) == "\u2588 \u2588");
  CHECK(action::sparkline({0, 0}) == "\u2581\u2581");
  CHECK(action::sparkline({}).empty());
}
