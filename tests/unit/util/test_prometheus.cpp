#include <doctest/doctest.h>

#include "libkf/util/prometheus.h"

using namespace kf;

TEST_CASE("prometheus: a metric's samples summed over their labels") {
  const std::string text = "# HELP kf_server_requests_total Requests served.\n"
                           "# TYPE kf_server_requests_total counter\n"
                           "kf_server_requests_total{protocol=\"v2\",code=\"200\"} 12\n"
                           "kf_server_requests_total{protocol=\"v1\",code=\"400\"} 3 1700000000000\n"
                           "kf_server_requests_total_created 1.7e9\n"
                           "kf_server_request_seconds_sum 0.25\r\n"
                           "kf_server_requests_total{path=\"/a}b\"} 1\n";
  CHECK(prometheus::sum_of(text, "kf_server_requests_total") == 16.0);
  CHECK(prometheus::sum_of(text, "kf_server_request_seconds_sum") == 0.25);
  CHECK_FALSE(prometheus::sum_of(text, "kf_server_requests"));
  CHECK_FALSE(prometheus::sum_of("", "x"));
  CHECK(prometheus::sum_of("up 1", "up") == 1.0);
  CHECK_FALSE(prometheus::sum_of("up{broken 1\nup NaNx\n", "up"));
}
