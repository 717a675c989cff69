#include <doctest/doctest.h>

#include <functional>
#include <sstream>
#include <thread>

#include "libkf/cluster/cluster_target.h"
#include "libkf/kube/fake_client.h"
#include "libkf/util/error.h"

using kf::Json;
using kf::cluster::ClusterTarget;

namespace {

struct Fixture {
  std::shared_ptr<kf::kube::FakeClient> client = std::make_shared<kf::kube::FakeClient>();
  ClusterTarget target{client, kf::cluster::ClusterOptions{"sim", "ml", "demo", {}}};
  Fixture() {
    client->add_kind({"kubeflow.org", "v1", "pytorchjobs", "PyTorchJob", true});
    client->add_kind({"serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService", true});
    client->add_kind({"serving.kserve.io", "v1alpha1", "servingruntimes", "ServingRuntime", true});
  }
};

// A client in which another kf process submits at the worst moment: each
// create goes to `on_create`, which may act first and then pass it on (or not).
class Racing final : public kf::kube::Client {
public:
  explicit Racing(std::shared_ptr<kf::kube::FakeClient> c) : fake(std::move(c)) {}
  std::function<Json(const Json&, const kf::kube::CreateOptions&)> on_create;
  std::shared_ptr<kf::kube::FakeClient> fake;

  std::string server() const override { return fake->server(); }
  std::optional<kf::kube::ResourceInfo> resource(std::string_view v, std::string_view k) override {
    return fake->resource(v, k);
  }
  Json apply(const Json& o, const kf::kube::ApplyOptions& a) override { return fake->apply(o, a); }
  Json create(const Json& o, const kf::kube::CreateOptions& c) override { return on_create(o, c); }
  std::optional<Json> get(const kf::kube::ObjectRef& r) override { return fake->get(r); }
  std::vector<Json> list(std::string_view v, std::string_view k, const kf::kube::ListOptions& l) override {
    return fake->list(v, k, l);
  }
  bool remove(const kf::kube::ObjectRef& r, const kf::kube::DeleteOptions& d) override { return fake->remove(r, d); }
  std::string watch(std::string_view v, std::string_view k, const kf::kube::WatchOptions& w,
                    const std::function<bool(const kf::kube::WatchEvent&)>& f) override {
    return fake->watch(v, k, w, f);
  }
  void pod_logs(const std::string& ns, const std::string& pod, const kf::kube::PodLogOptions& o,
                const std::function<bool(std::string_view)>& f) override {
    fake->pod_logs(ns, pod, o, f);
  }
};

Json job(const char* name = "mnist") {
  return {{"apiVersion", "kubeflow.org/v1"},
          {"kind", "PyTorchJob"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app.kubernetes.io/part-of", "demo"}}}}},
          {"spec", {{"pytorchReplicaSpecs", Json::object()}}}};
}

Json pod(const std::string& name, const char* type, int index, const char* phase, bool master = false) {
  Json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", name},
              {"namespace", "ml"},
              {"labels",
               {{"training.kubeflow.org/job-name", "mnist-1"},
                {"training.kubeflow.org/replica-type", type},
                {"training.kubeflow.org/replica-index", std::to_string(index)}}}}},
            {"status", {{"phase", phase}, {"containerStatuses", {{{"name", "pytorch"}, {"restartCount", 0}}}}}}};
  if (master) p["metadata"]["labels"]["training.kubeflow.org/job-role"] = "master";
  return p;
}

void set_status(kf::kube::FakeClient& c, const std::string& run, const Json& status) {
  Json o = {{"apiVersion", "kubeflow.org/v1"}, {"kind", "PyTorchJob"}, {"metadata", {{"name", run}, {"namespace", "ml"}}}, {"status", status}};
  c.apply(o, kf::kube::ApplyOptions{"sim", true, false, "status"});
}

Json cond(const char* type) { return {{"type", type}, {"status", "True"}, {"message", std::string(type) + "."}}; }

} // namespace

TEST_CASE("cluster target - runs are named <object>-<N> in the target's namespace and labelled") {
  Fixture f;
  kf::target::SubmitOptions so;
  so.parameters = {{"lr", 0.01}};
  const auto a = f.target.submit(job(), so);
  const auto b = f.target.submit(job(), so);
  CHECK(a.run == "mnist-1");
  CHECK(b.run == "mnist-2");
  const auto stored = f.client->get({"kubeflow.org/v1", "PyTorchJob", "ml", "mnist-2"});
  REQUIRE(stored);
  CHECK((*stored)["metadata"]["labels"]["kf.dev/run"] == "mnist-2");
  CHECK((*stored)["metadata"]["labels"]["app.kubernetes.io/part-of"] == "demo");
  CHECK((*stored)["metadata"]["annotations"]["kf.dev/parameters"] == R"({"lr":0.01})");
  CHECK(f.target.list() == std::vector<std::string>{"mnist-2", "mnist-1"});
  CHECK(f.target.resolve("@latest") == "mnist-2");
}

TEST_CASE("cluster target - the tenth run sorts before the ninth (newest first)") {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.target.submit(job(), {});
  CHECK(f.target.list().front() == "mnist-10");
  CHECK(f.target.list().back() == "mnist-1");
}

TEST_CASE("cluster target - a chosen name that exists is refused, an unserved kind named") {
  Fixture f;
  kf::target::SubmitOptions so;
  so.run_name = "base";
  f.target.submit(job(), so);
  CHECK_THROWS_WITH_AS(f.target.submit(job(), so),
                       "run \"base\" already exists on sim (kf delete base removes it, or choose another --name)",
                       kf::UsageError);
  Json tf = job();
  tf["apiVersion"] = "kubeflow.org/v1";
  tf["kind"] = "TFJob";
  CHECK_THROWS_WITH_AS(f.target.submit(tf, {}),
                       "sim (fake://) does not serve TFJob (kubeflow.org/v1): install its operator first (kf apply "
                       "installs the platform of kf.yaml)",
                       kf::Error);
}

TEST_CASE("cluster target - a name taken by an object kf did not submit moves the run to the next number") {
  Fixture f;
  Json other = job("mnist-1");
  other["metadata"]["namespace"] = "ml";
  f.client->apply(other, {});
  CHECK(f.target.submit(job(), {}).run == "mnist-2");
  CHECK(f.target.list() == std::vector<std::string>{"mnist-2"});
}

TEST_CASE("cluster target - a name another kf takes between counting and creating moves the run to the next number") {
  Fixture f;
  auto racing = std::make_shared<Racing>(f.client);
  ClusterTarget target{racing, kf::cluster::ClusterOptions{"sim", "ml", "demo", {}}};
  kf::target::SubmitOptions so;
  so.parameters = {{"lr", 0.1}};
  int creates = 0;
  racing->on_create = [&](const Json& obj, const kf::kube::CreateOptions& o) {
    if (creates++ == 0) { // the other process counted the same runs and creates first
      Json theirs = obj;
      theirs["metadata"]["annotations"] = {{"kf.dev/parameters", R"({"lr":0.5})"}, {"kf.dev/submission", "theirs"}};
      f.client->create(theirs, o);
    }
    return f.client->create(obj, o);
  };
  const auto mine = target.submit(job(), so);
  CHECK(mine.run == "mnist-2");
  CHECK(creates == 2);
  const auto theirs = f.client->get({"kubeflow.org/v1", "PyTorchJob", "ml", "mnist-1"});
  REQUIRE(theirs);
  CHECK((*theirs)["metadata"]["annotations"]["kf.dev/parameters"] == R"({"lr":0.5})"); // not overwritten
  CHECK((*f.client->get({"kubeflow.org/v1", "PyTorchJob", "ml", "mnist-2"}))["metadata"]["annotations"]["kf.dev/parameters"] ==
        R"({"lr":0.1})");
}

TEST_CASE("cluster target - a create retried after its answer was lost is still the same run") {
  Fixture f;
  auto racing = std::make_shared<Racing>(f.client);
  ClusterTarget target{racing, kf::cluster::ClusterOptions{"sim", "ml", "demo", {}}};
  racing->on_create = [&](const Json& obj, const kf::kube::CreateOptions& o) -> Json {
    f.client->create(obj, o); // stored, but the answer never came; the retry found it
    throw kf::kube::AlreadyExists("pytorchjobs.kubeflow.org \"mnist-1\" already exists");
  };
  CHECK(target.submit(job(), {}).run == "mnist-1");
  CHECK(target.list() == std::vector<std::string>{"mnist-1"});
}

TEST_CASE("cluster target - ten taken numbers in a row give up, saying why") {
  Fixture f;
  auto racing = std::make_shared<Racing>(f.client);
  ClusterTarget target{racing, kf::cluster::ClusterOptions{"sim", "ml", "demo", {}}};
  f.target.submit(job(), {}); // mnist-1
  int creates = 0;
  racing->on_create = [&](const Json& obj, const kf::kube::CreateOptions&) -> Json {
    ++creates;
    throw kf::kube::AlreadyExists("pytorchjobs.kubeflow.org " + obj["metadata"]["name"].dump() + " already exists");
  };
  CHECK_THROWS_WITH_AS(target.submit(job(), {}),
                       "cannot find a free run name for mnist on sim: mnist-2 to mnist-11 are taken (other runs are "
                       "being submitted at the same time); try again",
                       kf::Error);
  CHECK(creates == 10);
}

TEST_CASE("cluster target - objects kf did not submit are not runs") {
  Fixture f;
  Json other = job("mnist-1");
  other["metadata"]["namespace"] = "ml";
  f.client->apply(other, {});
  CHECK_FALSE(f.target.get("mnist-1"));
  CHECK(f.target.list().empty());
  CHECK_THROWS_WITH_AS(f.target.resolve("@latest"), "no runs on sim yet (kf train --target sim starts one)", kf::Error);
  CHECK_FALSE(f.target.remove("mnist-1"));
}

TEST_CASE("cluster target - supporting objects are applied first, in the target's namespace") {
  Fixture f;
  kf::target::SubmitOptions so;
  so.supporting = {{{"apiVersion", "serving.kserve.io/v1alpha1"}, {"kind", "ServingRuntime"}, {"metadata", {{"name", "demo-kf"}}}}};
  Json isvc = {{"apiVersion", "serving.kserve.io/v1beta1"}, {"kind", "InferenceService"}, {"metadata", {{"name", "demo"}}}};
  CHECK(f.target.submit(isvc, so).run == "demo-1");
  CHECK(f.client->get({"serving.kserve.io/v1alpha1", "ServingRuntime", "ml", "demo-kf"}));
}

TEST_CASE("cluster target - watch follows status changes to the end") {
  Fixture f;
  const auto run = f.target.submit(job(), {}).run;
  std::thread op([&] {
    set_status(*f.client, run, {{"conditions", {cond("Created")}}});
    set_status(*f.client, run, {{"conditions", {cond("Created"), cond("Running")}}});
    set_status(*f.client, run, {{"conditions", {cond("Created"), cond("Succeeded")}}});
  });
  std::vector<std::string> seen;
  f.target.watch(run, {}, [&](const Json& o) {
    const auto& c = o.value("status", Json::object()).value("conditions", Json::array());
    seen.push_back(c.empty() ? "none" : c.back().value("type", ""));
    return true;
  });
  op.join();
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.back() == "Succeeded");
}

TEST_CASE("cluster target - watch gives up after its timeout, saying where the run got to") {
  Fixture f;
  const auto run = f.target.submit(job(), {}).run;
  kf::target::WatchOptions wo;
  wo.timeout = std::chrono::milliseconds(1000);
  CHECK_THROWS_WITH_AS(f.target.watch(run, wo, [](const Json&) { return true; }),
                       "timed out after 1s waiting for run mnist-1 (it is Pending; kf status mnist-1 shows more)", kf::Error);
}

TEST_CASE("cluster target - logs: the master's pod by default, a replica by name, unknown replicas listed") {
  Fixture f;
  f.target.submit(job(), {});
  f.client->apply(pod("mnist-1-worker-0", "worker", 0, "Running"), {});
  f.client->apply(pod("mnist-1-master-0", "master", 0, "Running", true), {});
  f.client->set_pod_log("ml", "mnist-1-master-0", "epoch=1 loss=0.5 accuracy=0.8\n");
  f.client->set_pod_log("ml", "mnist-1-worker-0", "worker line\n");
  std::ostringstream out;
  f.target.logs("mnist-1", {}, out);
  CHECK(out.str() == "epoch=1 loss=0.5 accuracy=0.8\n");
  out.str("");
  f.target.logs("mnist-1", kf::target::LogOptions{"worker-0", false, -1, "", ""}, out);
  CHECK(out.str() == "worker line\n");
  CHECK_THROWS_WITH_AS(f.target.logs("mnist-1", kf::target::LogOptions{"worker-3", false, -1, "", ""}, out),
                       "run mnist-1 has no replica \"worker-3\" (it has master-0, worker-0)", kf::UsageError);
  CHECK_THROWS_WITH_AS(f.target.logs("nope", {}, out), "run \"nope\" does not exist on sim", kf::Error);
}

TEST_CASE("cluster target - a run without pods has no logs yet") {
  Fixture f;
  f.target.submit(job(), {});
  std::ostringstream out;
  CHECK_THROWS_WITH_AS(f.target.logs("mnist-1", {}, out), "run mnist-1 has no pods yet", kf::Error);
}

TEST_CASE("cluster target - the failed replica's last lines") {
  Fixture f;
  const auto run = f.target.submit(job(), {}).run;
  f.client->apply(pod("mnist-1-master-0", "master", 0, "Running", true), {});
  f.client->apply(pod("mnist-1-worker-0", "worker", 0, "Failed"), {});
  f.client->set_pod_log("ml", "mnist-1-worker-0", "a\nb\nc\nerror: loss is NaN\n");
  std::string replica;
  const auto tail = f.target.failed_replica_tail(*f.target.get(run), 2, replica);
  CHECK(replica == "worker-0");
  CHECK(tail == std::vector<std::string>{"c", "error: loss is NaN"});
}

TEST_CASE("cluster target - a served model's metrics are its running predictor pods' /metrics through the pod proxy") {
  Fixture f;
  f.client->add_kind({"", "v1", "pods", "Pod", true});
  Json isvc = {{"apiVersion", "serving.kserve.io/v1beta1"}, {"kind", "InferenceService"}, {"metadata", {{"name", "demo"}}}};
  CHECK(f.target.submit(isvc, {}).run == "demo-1");
  const auto predictor = [](const std::string& name, const char* phase, int port) {
    Json p = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", name}, {"namespace", "ml"}, {"labels", {{"serving.kserve.io/inferenceservice", "demo-1"}}}}},
              {"spec", {{"containers", {{{"name", "kserve-container"}}}}}},
              {"status", {{"phase", phase}}}};
    if (port > 0) p["spec"]["containers"][0]["ports"] = {{{"containerPort", port}}};
    return p;
  };
  CHECK_FALSE(f.target.serving_metrics("demo-1")); // no pod yet
  f.client->apply(predictor("demo-1-a", "Running", 0), {});     // KServe's default port
  f.client->apply(predictor("demo-1-b", "Running", 9000), {});  // the runtime's declared port
  f.client->apply(predictor("demo-1-c", "Pending", 0), {});     // not serving yet: not asked
  f.client->apply(predictor("demo-1-d", "Running", 0), {});     // does not answer (503): left out
  f.client->set_proxy_answer("ml", "demo-1-a", 8080, "metrics", "kf_server_requests_total{code=\"200\"} 3");
  f.client->set_proxy_answer("ml", "demo-1-b", 9000, "metrics", "kf_server_requests_total{code=\"200\"} 4\n");
  f.client->set_proxy_answer("ml", "demo-1-c", 8080, "metrics", "never asked\n");
  CHECK(f.target.serving_metrics("demo-1") ==
        std::optional<std::string>("kf_server_requests_total{code=\"200\"} 3\nkf_server_requests_total{code=\"200\"} 4\n"));
  CHECK_FALSE(f.target.serving_metrics("nope-1"));
}
