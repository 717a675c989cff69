#include <doctest/doctest.h>

#include <atomic>
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

TEST_CASE("token bucket: wait() sleeps for the reservation the injected clock gives") {
  FakeClock clock;
  kube::TokenBucket bucket(1000, 1, clock.fn());
  CHECK(bucket.wait() == 0ns);
  CHECK(bucket.wait() == 1ms); // the bucket is empty and the clock stands still: it waits for the next token
  CHECK(bucket.wait() == 2ms);
  clock.now += 10ms;
  CHECK(bucket.wait() == 0ns);
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
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    kube::InFlightLimit::Slot slot(limit);
    got = true;
  });
  while (limit.waiting() == 0) std::this_thread::yield(); // the waiter is inside acquire(), blocked
  CHECK_FALSE(got);
  CHECK(limit.in_flight() == 1);
  limit.release();
  waiter.join();
  CHECK(got);
  CHECK(limit.waiting() == 0);
  CHECK(limit.in_flight() == 0);
}
