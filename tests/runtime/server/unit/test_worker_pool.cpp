#include "runtime/server/worker_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>

using kf::server::WorkerPool;
using namespace std::chrono_literals;

namespace {

// A gate the jobs block on until the test opens it: a stand-in for a
// connection that holds its thread (idle keep-alive, a trickling client).
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> entered{0};
  void pass() {
    ++entered;
    std::unique_lock lock(m);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    std::lock_guard lock(m);
    open = true;
    cv.notify_all();
  }
};

// Polls `done` for up to 20 s: readiness on a loaded machine, not timing.
template <class F> bool eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

} // namespace

TEST_CASE("a job that finds every thread busy gets a new one, up to the cap") {
  WorkerPool pool(/*max_threads=*/8, /*keep=*/1, 60s);
  Gate gate;
  for (int i = 0; i < 6; ++i) pool.enqueue([&] { gate.pass(); });
  // Six held connections: six threads, and a seventh job still runs at once.
  CHECK(eventually([&] { return gate.entered == 6; }));
  std::promise<void> ran;
  pool.enqueue([&] { ran.set_value(); });
  CHECK(ran.get_future().wait_for(20s) == std::future_status::ready);
  CHECK(pool.peak() == 7);
  gate.release();
  pool.shutdown();
  CHECK(pool.threads() == 0);
}

TEST_CASE("past the cap a job waits for a thread, then runs") {
  WorkerPool pool(/*max_threads=*/2, /*keep=*/2, 60s);
  Gate gate;
  pool.enqueue([&] { gate.pass(); });
  pool.enqueue([&] { gate.pass(); });
  CHECK(eventually([&] { return gate.entered == 2; }));
  std::atomic<bool> third{false};
  pool.enqueue([&] { third = true; });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(third); // both threads are held
  CHECK(pool.threads() == 2);
  gate.release();
  CHECK(eventually([&] { return third.load(); }));
  CHECK(pool.peak() == 2);
}

TEST_CASE("threads beyond `keep` end after sitting idle - kept ones stay") {
  WorkerPool pool(/*max_threads=*/8, /*keep=*/2, 20ms);
  Gate gate;
  for (int i = 0; i < 5; ++i) pool.enqueue([&] { gate.pass(); });
  CHECK(eventually([&] { return gate.entered == 5; }));
  CHECK(pool.threads() == 5);
  gate.release();
  CHECK(eventually([&] { return pool.threads() == 2; }));
  pool.on_idle(); // joins the three that ended
  std::promise<void> ran;
  pool.enqueue([&] { ran.set_value(); });
  CHECK(ran.get_future().wait_for(20s) == std::future_status::ready);
  CHECK(pool.peak() == 5);
}

TEST_CASE("shutdown runs what was queued, then joins every thread") {
  std::atomic<int> runs{0};
  {
    WorkerPool pool(/*max_threads=*/1, /*keep=*/1, 60s);
    Gate gate;
    pool.enqueue([&] { gate.pass(); ++runs; });
    for (int i = 0; i < 4; ++i) pool.enqueue([&] { ++runs; });
    CHECK(eventually([&] { return gate.entered == 1; }));
    gate.release();
    pool.shutdown();
    CHECK(runs == 5);
    CHECK(pool.threads() == 0);
  } // the destructor's second shutdown is a no-op
  CHECK(runs == 5);
}
