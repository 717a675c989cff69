// The follow engine over a FakeTarget: what the verbs print is decided by
// these updates and results.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "libkf/action/follow.h"
#include "libkf/target/fake_target.h"
#include "libkf/util/error.h"

using kf::Json;
using namespace kf;

namespace {

Json job() { return {{"apiVersion", "kubeflow.org/v1"}, {"kind", "PyTorchJob"}, {"metadata", {{"name", "mnist"}}}}; }

Json conditions(std::initializer_list<const char*> types, const std::string& message = "") {
  Json cs = Json::array();
  for (const char* t : types) cs.push_back({{"type", t}, {"status", "True"}, {"reason", std::string("PyTorchJob") + t}, {"message", message}});
  return {{"conditions", cs}};
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

} // namespace

TEST_CASE("follow: every change of status or details is an update, in order - a success exits 0 with the run described") {
  target::FakeTarget t;
  const auto run = t.submit(job(), {}).run;
  std::atomic<int> updates{0};
  const auto after = [&](int n) { // each change once the follower has seen the one before
    while (updates < n) sleep_ms(5);
  };
  std::thread op([&] {
    after(1);
    t.set_status(run, conditions({"Created", "Running"}));
    after(2);
    t.set_details(run, {{"progress", {{"epoch", 1}}}});
    after(3);
    t.set_status(run, conditions({"Created", "Running", "Succeeded"}, "PyTorchJob mnist-1 is successfully completed."));
  });
  std::vector<std::string> seen;
  const auto r = action::follow(t, run, {}, [&](const action::FollowUpdate& u) {
    seen.push_back(u.summary.state + (u.details.contains("progress") ? "+epoch" : ""));
    ++updates;
  });
  op.join();
  CHECK(seen == std::vector<std::string>{"Pending", "Running", "Running+epoch", "Succeeded+epoch"});
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.interrupted);
  CHECK(r.run["state"] == "Succeeded");
  CHECK(r.run["message"] == "PyTorchJob mnist-1 is successfully completed.");
}

TEST_CASE("follow: a failed run exits 1 and carries its failing replica's last lines") {
  target::FakeTarget t;
  const auto run = t.submit(job(), {}).run;
  t.set_log_tail(run, "worker-0", {"kf-trainer: error: loss is NaN"});
  t.set_status(run, conditions({"Created", "Failed"}, "PyTorchJob mnist-1 is failed because 1 Worker replica(s) failed."));
  const auto r = action::follow(t, run, {}, [](const action::FollowUpdate&) {});
  CHECK(r.exit_code == 1);
  CHECK(r.run["failedReplica"] == "worker-0");
  CHECK(r.run["logTail"] == Json::array({"kf-trainer: error: loss is NaN"}));
}

TEST_CASE("follow: Ctrl-C stops an attached run (130), after a last update that says so - else only following stops") {
  for (const bool stop : {true, false}) {
    CAPTURE(stop);
    target::FakeTarget t;
    const auto run = t.submit(job(), {}).run;
    t.set_status(run, conditions({"Created", "Running"}));
    std::atomic<bool> ctrl_c{false};
    action::FollowOptions o;
    o.interrupted = [&] { return ctrl_c.load(); };
    o.stop_on_interrupt = stop;
    int stopping = 0;
    std::thread user([&] {
      sleep_ms(100);
      ctrl_c = true;
    });
    const auto r = action::follow(t, run, o, [&](const action::FollowUpdate& u) { stopping += u.stopping ? 1 : 0; });
    user.join();
    CHECK(r.exit_code == 130);
    CHECK(r.interrupted);
    CHECK(stopping == (stop ? 1 : 0));
    CHECK(t.stopped() == (stop ? std::vector<std::string>{run} : std::vector<std::string>{}));
  }
}

TEST_CASE("follow: past its timeout the watch's error says where the run got to") {
  target::FakeTarget t;
  const auto run = t.submit(job(), {}).run;
  t.set_status(run, conditions({"Created", "Running"}));
  action::FollowOptions o;
  o.timeout = std::chrono::seconds(1);
  CHECK_THROWS_WITH_AS(action::follow(t, run, o, [](const action::FollowUpdate&) {}),
                       "timed out after 1s waiting for run mnist-1", Error);
}

TEST_CASE("follow: a service is followed until Ready, and Ready exits 0") {
  target::FakeTarget t;
  const auto run = t.submit({{"apiVersion", "serving.kserve.io/v1beta1"}, {"kind", "InferenceService"}, {"metadata", {{"name", "demo"}}}}, {}).run;
  std::thread op([&] {
    sleep_ms(50);
    t.set_status(run, {{"url", "http://127.0.0.1:9000"},
                       {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}});
  });
  const auto r = action::follow(t, run, {}, [](const action::FollowUpdate&) {});
  op.join();
  CHECK(r.exit_code == 0);
  CHECK(r.object["status"]["url"] == "http://127.0.0.1:9000");
}
