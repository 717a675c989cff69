#include <doctest/doctest.h>

#include <thread>

#include "libkf/kube/rate_limit.h"

using namespace kf;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand.
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  kube::TokenBucket::Clock fn() {
    return [this] { return now; };
  }
};

} // namespace

TEST_CASE("token bucket: a full burst at start, then one token per 1/qps") {
  FakeClock clock;
  kube::TokenBucket bucket(10, 3, clock.fn());
  CHECK(bucket.reserve() == 0ns);
  CHECK(bucket.reserve() == 0ns);
  CHECK(bucket.reserve() == 0ns);
  // Empty: each further request waits for its own token, in order.
  CHECK(bucket.reserve() == 100ms);
  CHECK(bucket.reserve() == 200ms);
  clock.now += 250ms; // 2.5 tokens earned, 2 were already promised
  CHECK(bucket.reserve() == 50ms);
}

TEST_CASE("token bucket: saves up at most burst tokens") {
  FakeClock clock;
  kube::TokenBucket bucket(2, 2, clock.fn());
  CHECK(bucket.reserve() == 0ns);
  CHECK(bucket.reserve() == 0ns);
  clock.now += 1h; // would be 7200 tokens without the cap
  CHECK(bucket.reserve() == 0ns);
  CHECK(bucket.reserve() == 0ns);
  CHECK(bucket.reserve() == 500ms);
}

TEST_CASE("token bucket: qps <= 0 is no limit, a burst below 1 counts as 1") {
  FakeClock clock;
  kube::TokenBucket unlimited(0, 0, clock.fn());
  for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.reserve() == 0ns);
  kube::TokenBucket one(4, 0, clock.fn());
  CHECK(one.reserve() == 0ns);
  CHECK(one.reserve() == 250ms);
}

TEST_CASE("in-flight limit: a slot is taken and given back - a full limit blocks until one is") {
  kube::InFlightLimit limit(1);
  {
    kube::InFlightLimit::Slot slot(limit);
    CHECK(limit.in_flight() == 1);
  }
  CHECK(limit.in_flight() == 0);
  limit.acquire();
  std::thread waiter([&] { kube::InFlightLimit::Slot slot(limit); }); // blocks until release()
  limit.release();
  waiter.join();
  CHECK(limit.in_flight() == 0);
}
