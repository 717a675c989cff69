#include <doctest/doctest.h>

#include "libkf/local/conditions.h"
#include "libkf/local/plan.h"
#include "libkf/local/progress.h"
#include "libkf/target/target.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {

Json container(const std::string& name, const std::string& image) {
  return {{"name", name},
          {"image", image},
          {"command", {"kf-trainer"}},
          {"args", {"--epochs=1"}},
          {"env", {{{"name", "KF_PROJECT"}, {"value", "demo"}}}}};
}

Json pytorchjob(int workers, const std::string& image = "demo-trainer:latest") {
  Json replica = {{"replicas", 1}, {"restartPolicy", "OnFailure"},
                  {"template", {{"spec", {{"containers", {container("pytorch", image)}}}}}}};
  Json job = {{"apiVersion", "kubeflow.org/v1"},
              {"kind", "PyTorchJob"},
              {"metadata", {{"name", "demo-train"}}},
              {"spec", {{"runPolicy", {{"backoffLimit", 3}}}, {"pytorchReplicaSpecs", {{"Master", replica}}}}}};
  if (workers > 0) {
    replica["replicas"] = workers;
    job["spec"]["pytorchReplicaSpecs"]["Worker"] = replica;
  }
  return job;
}

local::PlanOptions options() {
  int next = 30000;
  return {"demo-trainer:latest", "/opt/kf/kf-trainer", [next]() mutable { return next++; }, {}};
}

std::string env(const local::ReplicaPlan& r, const std::string& name) {
  std::string value = "<unset>";
  for (const auto& [k, v] : r.env)
    if (k == name) value = v;
  return value;
}

} // namespace

TEST_CASE("plan: a PyTorchJob gets the operator's environment, ranks in Master-then-Worker order") {
  const auto plan = local::plan_job(pytorchjob(2), options());
  CHECK(plan.kind == "PyTorchJob");
  CHECK(plan.backoff_limit == 3);
  CHECK(plan.success_replica == "master-0");
  CHECK(plan.types == std::vector<std::string>{"Master", "Worker"});
  REQUIRE(plan.replicas.size() == 3);
  CHECK(plan.replicas[0].name == "master-0");
  CHECK(plan.replicas[2].name == "worker-1");
  CHECK(plan.replicas[1].argv == std::vector<std::string>{"/opt/kf/kf-trainer", "--epochs=1"});
  for (int rank = 0; rank < 3; ++rank) {
    const auto& r = plan.replicas[static_cast<std::size_t>(rank)];
    CHECK(env(r, "MASTER_ADDR") == "127.0.0.1");
    CHECK(env(r, "MASTER_PORT") == "30000"); // one port for the whole job
    CHECK(env(r, "WORLD_SIZE") == "3");
    CHECK(env(r, "RANK") == std::to_string(rank));
    CHECK(env(r, "PET_NODE_RANK") == std::to_string(rank));
    CHECK(env(r, "PET_NNODES") == "3");
    CHECK(env(r, "KF_PROJECT") == "demo"); // the container's own env comes first
    CHECK(env(r, "TF_CONFIG") == "<unset>");
  }
}

TEST_CASE("plan: a TFJob gets TF_CONFIG with a port per replica") {
  Json job = pytorchjob(0);
  job["kind"] = "TFJob";
  Json replica = job["spec"]["pytorchReplicaSpecs"]["Master"];
  replica["template"]["spec"]["containers"][0]["name"] = "tensorflow";
  job["spec"].erase("pytorchReplicaSpecs");
  job["spec"]["tfReplicaSpecs"]["Chief"] = replica;
  replica["replicas"] = 2;
  job["spec"]["tfReplicaSpecs"]["Worker"] = replica;
  const auto plan = local::plan_job(job, options());
  REQUIRE(plan.replicas.size() == 3);
  CHECK(plan.success_replica == "chief-0");
  const Json tf = Json::parse(env(plan.replicas[2], "TF_CONFIG"));
  CHECK(tf["task"] == Json{{"type", "worker"}, {"index", 1}});
  CHECK(tf["cluster"]["chief"] == Json::array({"127.0.0.1:30000"}));
  CHECK(tf["cluster"]["worker"] == Json::array({"127.0.0.1:30001", "127.0.0.1:30002"}));
  CHECK(env(plan.replicas[0], "RANK") == "<unset>");
  CHECK(plan.replicas[0].restart_policy == "OnFailure");
}

TEST_CASE("plan: a TFJob's restartPolicy defaults to Never, a PyTorchJob's to OnFailure - backoffLimit to 6") {
  Json job = pytorchjob(1);
  job["spec"]["pytorchReplicaSpecs"]["Worker"].erase("restartPolicy");
  job["spec"].erase("runPolicy");
  const auto plan = local::plan_job(job, options());
  CHECK(plan.replicas[1].restart_policy == "OnFailure");
  CHECK(plan.backoff_limit == 6);
}

TEST_CASE("plan: what the local target cannot run is an error naming the object and field") {
  Json other = pytorchjob(0, "python:3.11");
  other["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0].erase("command");
  CHECK_THROWS_WITH_AS(local::plan_job(other, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs.Master.template.spec.containers[0].command: the "
                       "local target runs a container's command on this machine and cannot know the entrypoint of image "
                       "\"python:3.11\": give the command",
                       FieldError);
  Json job = pytorchjob(1);
  job["spec"]["pytorchReplicaSpecs"]["Launcher"] = job["spec"]["pytorchReplicaSpecs"]["Master"];
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs.Launcher: unknown replica type (PyTorchJob "
                       "has Master, Worker)",
                       Error);
  job = pytorchjob(0);
  job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["name"] = "main";
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs.Master.template.spec.containers: no container "
                       "named \"pytorch\" (the training operator runs that one)",
                       Error);
  job = pytorchjob(0);
  job["spec"]["pytorchReplicaSpecs"]["Master"]["restartPolicy"] = "Sometimes";
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs.Master.restartPolicy: \"Sometimes\" is not "
                       "OnFailure, Never, Always or ExitCode",
                       Error);
  job = pytorchjob(0);
  job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["env"] =
      Json::array({{{"name", "TOKEN"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}}});
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs.Master.template.spec.containers[0].env[0]."
                       "valueFrom: env \"TOKEN\": valueFrom (secrets, config maps, fields) is not available on the local "
                       "target",
                       Error);
  // What the API server would refuse at creation (the CRD's schema), in its words.
  job = pytorchjob(0);
  job["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = "1";
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs.Master.replicas: Invalid value: \"string\": must be of "
                       "type integer",
                       FieldError);
  job = pytorchjob(0);
  job["spec"]["pytorchReplicaSpecs"]["Master"] = "one";
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs.Master: Invalid value: \"string\": must be of type object",
                       FieldError);
  job = pytorchjob(0);
  job["apiVersion"] = "kubeflow.org/v2";
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": apiVersion: no matches for kind \"PyTorchJob\" in version \"kubeflow.org/v2\" "
                       "(PyTorchJob is kubeflow.org/v1)",
                       FieldError);
  job = pytorchjob(0);
  job["kind"] = "MPIJob";
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "MPIJob \"demo-train\": the local target runs PyTorchJob, TFJob, TrainJob, Job, Experiment, "
                       "InferenceService, Notebook and Workflow objects",
                       Error);
  job = pytorchjob(0);
  job["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = 0;
  CHECK_THROWS_WITH_AS(local::plan_job(job, options()),
                       "PyTorchJob \"demo-train\": spec.pytorchReplicaSpecs: no replicas to run", Error);
}

TEST_CASE("plan: a command other than kf-trainer runs as given, in any image - plan.json round-trips") {
  Json job = pytorchjob(1);
  job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["command"] = {"sh", "-c"};
  job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["image"] = "python:3.11";
  job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["workingDir"] = "/tmp";
  const auto plan = local::plan_job(job, options());
  CHECK(plan.replicas[0].argv == std::vector<std::string>{"sh", "-c", "--epochs=1"});
  CHECK(plan.replicas[0].image == "python:3.11");
  CHECK(plan.replicas[0].working_dir == "/tmp");
  CHECK(plan.replicas[1].argv[0] == "/opt/kf/kf-trainer");
  const auto back = local::plan_from_json(local::to_json(plan));
  CHECK(local::to_json(back) == local::to_json(plan));
}

namespace {

Json serving_runtime() {
  return {{"apiVersion", "serving.kserve.io/v1alpha1"},
          {"kind", "ServingRuntime"},
          {"metadata", {{"name", "demo-kf"}}},
          {"spec",
           {{"containers",
             {{{"name", "kserve-container"},
               {"image", "demo-trainer:latest"},
               {"command", {"kf-server"}},
               {"args", {"--model-dir=/mnt/models", "--port=8080"}}}}}}}};
}

Json isvc(const std::string& storage_uri) {
  return {{"apiVersion", "serving.kserve.io/v1beta1"},
          {"kind", "InferenceService"},
          {"metadata", {{"name", "demo-1"}}},
          {"spec", {{"predictor", {{"model", {{"modelFormat", {{"name", "kf"}}}, {"storageUri", storage_uri}}}}}}}};
}

} // namespace

TEST_CASE("plan: an InferenceService's predictor serves the storageUri's directory of this machine on the port given") {
  const auto plan = local::plan_service(isvc("file:///work/runs/mnist-1/model"), serving_runtime(),
                                        {"demo-trainer:latest", "/opt/kf/kf-server", 9123});
  REQUIRE(plan.replicas.size() == 1);
  CHECK(plan.replicas[0].argv == std::vector<std::string>{"/opt/kf/kf-server", "--model-dir=/work/runs/mnist-1/model",
                                                          "--port=9123", "--model-name=demo-1", "--host=127.0.0.1",
                                                          "--port-file=predictor.port"});
  CHECK(plan.url == "http://127.0.0.1:9123");
  CHECK(plan.service);
}

TEST_CASE("plan: an InferenceService's predictor asks for GPUs with the model's resources merged into the runtime container's") {
  const local::ServiceOptions so{"demo-trainer:latest", "/opt/kf/kf-server", 9123};
  Json svc = isvc("file:///work/runs/mnist-1/model");
  Json rt = serving_runtime();
  CHECK(local::plan_service(svc, rt, so).replicas[0].gpus == 0);
  rt["spec"]["containers"][0]["resources"] = {{"limits", {{"nvidia.com/gpu", 2}}}};
  CHECK(local::plan_service(svc, rt, so).replicas[0].gpus == 2);
  // Key by key, as KServe merges them: the runtime's limit stays beside the model's request.
  svc["spec"]["predictor"]["model"]["resources"] = {{"requests", {{"nvidia.com/gpu", "1"}}}};
  CHECK(local::plan_service(svc, rt, so).replicas[0].gpus == 2);
  svc["spec"]["predictor"]["model"]["resources"]["limits"] = {{"nvidia.com/gpu", 1}};
  CHECK(local::plan_service(svc, rt, so).replicas[0].gpus == 1);
  rt["spec"]["containers"][0].erase("resources");
  svc["spec"]["predictor"]["model"]["resources"].erase("limits");
  CHECK(local::plan_service(svc, rt, so).replicas[0].gpus == 1);
}

TEST_CASE("plan: an InferenceService's predictor logger becomes kf-server's --log-file in the run directory") {
  Json with_logger = isvc("file:///work/runs/mnist-1/model");
  with_logger["spec"]["predictor"]["logger"] = {{"mode", "response"}, {"url", "http://broker"}};
  const auto plan = local::plan_service(with_logger, serving_runtime(), {"demo-trainer:latest", "/opt/kf/kf-server", 9123});
  REQUIRE(plan.replicas.size() == 1);
  const auto& argv = plan.replicas[0].argv;
  REQUIRE(argv.size() == 8);
  CHECK(argv[6] == "--log-file=predictions.jsonl");
  CHECK(argv[7] == "--log-mode=response");
}

TEST_CASE("plan: an InferenceService whose model is not a directory of this machine is an error naming the field") {
  const local::ServiceOptions so{"demo-trainer:latest", "/opt/kf/kf-server", 9123};
  CHECK_THROWS_WITH_AS(local::plan_service(isvc("pvc://models/mnist"), serving_runtime(), so),
                       "InferenceService \"demo-1\": spec.predictor.model.storageUri: the local target serves a model "
                       "directory of this machine (file:///DIR), not \"pvc://models/mnist\"",
                       Error);
  CHECK_THROWS_WITH_AS(local::plan_service(isvc("file://relative/dir"), serving_runtime(), so),
                       "InferenceService \"demo-1\": spec.predictor.model.storageUri: the local target serves a model "
                       "directory of this machine (file:///DIR), not \"file://relative/dir\"",
                       Error);
}

namespace {
// "Type=Status" of each condition, in order.
std::vector<std::string> listed(const Json& object) {
  std::vector<std::string> out;
  for (const auto& c : object["status"]["conditions"])
    out.push_back(c["type"].get<std::string>() + "=" + c["status"].get<std::string>());
  return out;
}
using Strings = std::vector<std::string>;
} // namespace

TEST_CASE("conditions: the training operator's transitions (pkg/util/status.go setCondition)") {
  Json job = {{"kind", "PyTorchJob"}};
  local::set_condition(job, "Created", "PyTorchJobCreated", "created", "t0");
  CHECK(target::state_of(job) == "Created");
  local::set_condition(job, "Running", "PyTorchJobRunning", "running", "t1");
  CHECK(target::state_of(job) == "Running");
  // Running and Restarting remove each other; the newest is last.
  local::set_condition(job, "Restarting", "PyTorchJobRestarting", "restarting", "t2");
  CHECK(listed(job) == Strings{"Created=True", "Restarting=True"});
  CHECK(target::state_of(job) == "Restarting");
  local::set_condition(job, "Running", "PyTorchJobRunning", "running again", "t3");
  CHECK(listed(job) == Strings{"Created=True", "Running=True"});
  CHECK(job["status"]["conditions"][1]["lastTransitionTime"] == "t3");
  CHECK_FALSE(target::is_finished(job));
  // The same status and reason: no move, no new transition; the message is the newest.
  local::set_condition(job, "Running", "PyTorchJobRunning", "still running", "t4");
  CHECK(job["status"]["conditions"][1]["lastTransitionTime"] == "t3");
  CHECK(job["status"]["conditions"][1]["lastUpdateTime"] == "t4");
  CHECK(job["status"]["conditions"][1]["message"] == "still running");
  // Succeeded turns Running off where it is, and comes last.
  local::set_condition(job, "Succeeded", "PyTorchJobSucceeded", "done", "t5");
  CHECK(listed(job) == Strings{"Created=True", "Running=False", "Succeeded=True"});
  CHECK(target::state_of(job) == "Succeeded");
  CHECK(target::is_finished(job));
}

TEST_CASE("conditions: Katib's Experiment and Trial move a changed condition to the end") {
  Json exp = {{"kind", "Experiment"}};
  local::set_condition(exp, "Created", "ExperimentCreated", "created", "t0");
  local::set_condition(exp, "Running", "ExperimentRunning", "running", "t1");
  local::set_condition(exp, "Succeeded", "ExperimentMaxTrialsReached", "done", "t2");
  CHECK(listed(exp) == Strings{"Created=True", "Running=False", "Succeeded=True"});
  // kf resume: Katib's MarkExperimentStatusRestarting drops the end conditions.
  local::remove_condition(exp, "Succeeded");
  local::set_condition(exp, "Restarting", "ExperimentRestarting", "resumed", "t3");
  CHECK(listed(exp) == Strings{"Created=True", "Running=False", "Restarting=True"});
  local::set_condition(exp, "Running", "ExperimentRunning", "running", "t4");
  CHECK(listed(exp) == Strings{"Created=True", "Restarting=False", "Running=True"});
  local::set_condition(exp, "Succeeded", "ExperimentGoalReached", "goal", "t5");
  CHECK(listed(exp) == Strings{"Created=True", "Restarting=False", "Running=False", "Succeeded=True"});
  CHECK(exp["status"]["conditions"].back()["reason"] == "ExperimentGoalReached");
  CHECK(target::state_of(exp) == "Succeeded");
  // Resumed, then its supervisor killed before it ran (test_local_kill.sh):
  // Failed is the one True condition besides Created, and the last.
  local::remove_condition(exp, "Succeeded");
  local::set_condition(exp, "Restarting", "ExperimentRestarting", "resumed", "t6");
  local::set_condition(exp, "Failed", "SupervisorLost", "lost", "t7");
  CHECK(listed(exp) == Strings{"Created=True", "Running=False", "Restarting=False", "Failed=True"});
  CHECK(target::state_of(exp) == "Failed");
  Json trial = {{"kind", "Trial"}};
  local::set_condition(trial, "Created", "TrialCreated", "created", "t0");
  local::set_condition(trial, "Running", "TrialRunning", "running", "t1");
  local::set_condition(trial, "Succeeded", "TrialSucceeded", "done", "t2");
  CHECK(listed(trial) == Strings{"Created=True", "Running=False", "Succeeded=True"});
  Json stopped = {{"kind", "Trial"}};
  local::set_condition(stopped, "Running", "TrialRunning", "running", "t0");
  local::set_condition(stopped, "EarlyStopped", "TrialEarlyStopped", "stopped", "t1");
  CHECK(listed(stopped) == Strings{"Running=False", "EarlyStopped=True"});
}

TEST_CASE("conditions: a batch/v1 Job keeps each type in its place, KServe sorts them by type") {
  Json job = {{"kind", "Job"}};
  local::set_condition(job, "Suspended", "JobSuspended", "suspended", "t0");
  local::set_condition(job, "Running", "JobRunning", "running", "t1");
  local::set_condition(job, "Suspended", "JobResumed", "resumed", "t2");
  CHECK(listed(job) == Strings{"Suspended=True", "Running=True"});
  CHECK(job["status"]["conditions"][0]["reason"] == "JobResumed");
  Json isvc = {{"kind", "InferenceService"}};
  local::set_condition(isvc, "Ready", "InferenceServiceReady", "ready", "t0");
  local::set_condition(isvc, "PredictorReady", "", "", "t0");
  local::set_condition(isvc, "Failed", "ServerExited", "exited", "t1");
  CHECK(listed(isvc) == Strings{"Failed=True", "PredictorReady=False", "Ready=False"});
}

TEST_CASE("progress: Katib metrics lines and kf-trainer progress lines") {
  local::Progress p;
  CHECK_FALSE(p.feed("kf-trainer[0/2]: epoch 2/5 step 120/469 loss 0.3120 lr 0.001 5230 samples/s"));
  Json j = p.to_json();
  CHECK(j["epoch"] == 2);
  CHECK(j["epochs"] == 5);
  CHECK(j["steps"] == 469);
  CHECK(j["samplesPerSecond"] == 5230.0);
  const auto e = p.feed("epoch=2 loss=0.2841 accuracy=0.8955 test_loss=0.31");
  REQUIRE(e);
  CHECK(e->epoch == 2);
  CHECK(e->values == Json{{"loss", 0.2841}, {"accuracy", 0.8955}, {"test_loss", 0.31}});
  CHECK(p.to_json()["metrics"]["accuracy"] == 0.8955);
  CHECK_FALSE(local::parse_epoch_line("epoch=x loss=1"));
  CHECK_FALSE(local::parse_epoch_line("loss=1 epoch=2"));
  CHECK_FALSE(local::parse_epoch_line("epoch=1 loss"));
  CHECK_FALSE(p.feed("some other line"));
}

namespace {

Json batch_job() {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", "pi"}}},
          {"spec",
           {{"completions", 3},
            {"parallelism", 2},
            {"backoffLimit", 1},
            {"completionMode", "Indexed"},
            {"template",
             {{"spec",
               {{"restartPolicy", "Never"},
                {"containers", {{{"name", "pi"}, {"image", "python:3.11"}, {"command", {"python3", "-c", "print(1)"}}}}}}}}}}}};
}

} // namespace

TEST_CASE("plan: a batch/v1 Job runs its pod template as the Job controller would") {
  const auto plan = local::plan_job(batch_job(), options());
  CHECK(plan.kind == "Job");
  CHECK(plan.completions == 3);
  CHECK(plan.parallelism == 2);
  CHECK(plan.backoff_limit == 1);
  CHECK(plan.indexed);
  REQUIRE(plan.replicas.size() == 1);
  CHECK(plan.replicas[0].argv == std::vector<std::string>{"python3", "-c", "print(1)"});
  CHECK(plan.replicas[0].restart_policy == "Never");
  CHECK(local::to_json(local::plan_from_json(local::to_json(plan))) == local::to_json(plan));
  Json j = batch_job();
  j["spec"].erase("completions");
  j["spec"].erase("completionMode");
  CHECK(local::plan_job(j, options()).completions == 0); // parallelism without completions: a work queue
  j["spec"].erase("parallelism");
  CHECK(local::plan_job(j, options()).completions == 1);
  CHECK(local::plan_job(j, options()).parallelism == 1);
}

// YAML's `image: &anchor` (or `image: ~`) is a null, which the API server
// takes as absent; nlohmann's value() threw type_error on it (fuzz_experiment).
TEST_CASE("plan: null fields of a Job are read as absent") {
  Json j = batch_job();
  Json& c = j["spec"]["template"]["spec"]["containers"][0];
  c["image"] = nullptr;
  c["workingDir"] = nullptr;
  c["env"] = Json::array({{{"name", "A"}, {"value", nullptr}}});
  j["spec"]["completionMode"] = nullptr;
  j["spec"]["suspend"] = nullptr;
  j["spec"]["completions"] = 1;
  const auto plan = local::plan_job(j, options());
  REQUIRE(plan.replicas.size() == 1);
  CHECK(plan.replicas[0].image == "");
  CHECK(plan.replicas[0].working_dir == "");
  CHECK_FALSE(plan.indexed);
}

TEST_CASE("plan: what a Job cannot be on the local target is a FieldError with the field's path") {
  Json j = batch_job();
  j["spec"]["template"]["spec"]["restartPolicy"] = "Always";
  CHECK_THROWS_WITH_AS(local::plan_job(j, options()),
                       "Job \"pi\": spec.template.spec.restartPolicy: \"Always\" is not OnFailure or Never (a Job's pods "
                       "cannot restart Always)",
                       FieldError);
  j = batch_job();
  j["spec"]["template"]["spec"]["containers"].push_back(j["spec"]["template"]["spec"]["containers"][0]);
  j["spec"]["template"]["spec"]["containers"][1]["name"] = "sidecar";
  CHECK_THROWS_WITH_AS(local::plan_job(j, options()),
                       "Job \"pi\": spec.template.spec.containers: the local target runs one container per pod, this pod has 2",
                       FieldError);
  j = batch_job();
  j["spec"]["parallelism"] = -1;
  CHECK_THROWS_WITH_AS(local::plan_job(j, options()), "Job \"pi\": spec.parallelism: must be a non-negative integer, not -1",
                       FieldError);
  j = batch_job();
  j["spec"].erase("completions");
  CHECK_THROWS_WITH_AS(local::plan_job(j, options()),
                       "Job \"pi\": spec.completions: an Indexed Job needs completions (the number of indexes)", FieldError);
  j = batch_job();
  j["spec"]["template"]["spec"]["containers"][0]["workingDir"] = "src";
  try {
    local::plan_job(j, options());
    FAIL("no error");
  } catch (const FieldError& e) {
    CHECK(e.path() == "spec.template.spec.containers[0].workingDir");
    CHECK(e.message() == "must be an absolute path, not \"src\"");
  }
}
