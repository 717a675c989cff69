#pragma once
// The verbs that follow runs: `kf train` submits one, `kf status`, `kf logs`
// and `kf delete` read and remove them. All of them go through a
// target::Target chosen like every verb's (--target NAME, else kf.yaml's
// defaultTarget, "local" when none).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/http/http.h"
#include "libkf/spec/load.h"
#include "libkf/target/target.h"

namespace kf::action {

struct ProjectTarget {
  spec::LoadedProject loaded;
  std::string target_name;
  std::unique_ptr<target::Target> target;
};

// Where no kf.yaml is found: kubectl needs no project to run a manifest,
// and neither does `kf submit -f`. Its runs go to .kf/ in the working
// directory, where the verbs that follow runs (status, logs, delete, stop,
// resume, retry) find them, as they find them from any directory below.
enum class WithoutProject {
  refuse,        // the verb needs kf.yaml ("no kf.yaml in DIR or any parent directory ...")
  existing_runs, // the nearest directory holding .kf/runs stands for the project
  new_runs,      // that, else the working directory (kf submit)
};

// What a verb may set on the target it opens.
struct TargetOverrides {
  int serve_port = 0; // kf serve --port: where a model server listens on this machine (0 = a free port)
  WithoutProject without_project = WithoutProject::refuse;
};

// Loads kf.yaml and opens the target: "local" (libkf/local), a target of
// kf.yaml's spec.targets, or else a kubeconfig context (libkf/cluster).
// Without kf.yaml (see WithoutProject): --target local (the default) or a
// kubeconfig context, and an empty project named after the directory.
ProjectTarget open_target(const Context& ctx, const spec::LoadOptions& load, const std::string& target,
                          const TargetOverrides& overrides = {});

struct TrainOptions { // the project and target come with the ProjectTarget
  std::string run_name; // --name; "" = <job>-<N>
};

struct TrainResult {
  std::string run;
  std::string target;
  Json object;          // as submitted
  std::string where;    // for messages: the run's directory (local), "namespace ml" (cluster)
};

// Renders the training job and submits it; returns at once.
TrainResult train(const Context& ctx, const TrainOptions& options, ProjectTarget& pt);

// `kf tune`: renders the Katib Experiment and submits it (to a target whose kinds() has Experiment).
TrainResult tune(const Context& ctx, const TrainOptions& options, ProjectTarget& pt);

struct PipelineRunOptions {
  std::string pipeline; // the pipeline of kf.yaml ("" = the only one)
  std::string run_name; // --name; "" = <workflow>-<N>
  std::vector<std::string> parameters; // -p NAME=VALUE: the pipeline's parameters
  bool no_cache = false;               // every step runs, cached or not
};
// `kf pipeline run`: renders the pipeline's Argo Workflow and submits it (to a target that runs Workflows).
TrainResult pipeline_run(const Context& ctx, const PipelineRunOptions& options, ProjectTarget& pt);

struct WhyResult {
  std::string run, step, phase, message;
  bool cached = false;               // its outputs came from the cache (message: from which run)
  bool recorded = false;             // it ran with the cache on, so what differed was recorded:
  std::string previous_run;          //   the last run of this step ("" = it never ran before)
  std::vector<std::string> changed;  //   "path: old -> new" for each input that differed
};
// `kf pipeline why RUN STEP`: why a workflow's step ran (what changed since it last ran) or was cached.
WhyResult pipeline_why(ProjectTarget& pt, const std::string& run, const std::string& step);

struct ManifestOptions {
  std::vector<std::string> files;      // -f: FILE, DIR (its *.yaml, *.yml, *.json) or "-" (stdin_text)
  std::string stdin_text;
  std::vector<std::string> parameters; // -p NAME=VALUE: a Workflow's spec.arguments.parameters
  std::string run_name;                // --name (one object only); "" = the target's choice
  bool no_cache = false;               // --no-cache: a Workflow's steps all run
};

// -p NAME=VALUE on a Workflow's spec.arguments.parameters, as argo submit -p;
// UsageError for a name it does not declare, or another kind.
void set_workflow_parameters(Json& object, const std::vector<std::string>& params);
// --no-cache: the Workflow's steps all run (its annotation kf.dev/cache: "false"); UsageError for another kind.
void disable_step_cache(Json& object);

// `kf submit -f`: submits every object of the files that the target runs
// (supporting objects — ServingRuntime, ConfigMap, PersistentVolumeClaim,
// (Cluster)TrainingRuntime — go with each), honouring metadata.generateName.
// All or nothing: a kind the target does not run, or an object it refuses,
// is a "file:line:col: field.path: message" error before (or after removing)
// any run. Returns at once.
std::vector<TrainResult> submit_manifests(const Context& ctx, const ManifestOptions& options, ProjectTarget& pt);

struct ServeOptions {
  std::string model; // a run name (its model), a model directory, or "" = the newest run that produced a model
};

struct ServeResult {
  std::string run;
  std::string model_dir;  // a directory (target with local files), else the storage URI
  std::string model_from; // the run that trained it ("" = a directory given directly)
  Json object;            // the InferenceService as submitted
  std::string where;      // as TrainResult's
  std::string example_body; // a v2 infer request body for the model (shown next to the URL)
};

// Renders the ServingRuntime + InferenceService and submits them; returns at
// once (follow the run until its Ready condition).
ServeResult serve(const Context& ctx, const ServeOptions& options, ProjectTarget& pt);

// The requests a kf-server at `url` has answered (kf_server_requests_total of
// its /metrics, over every endpoint and code); -1 when it does not answer.
long requests_served(http::Client& client, const std::string& url);

struct NotebookOptions {
  std::string name;     // one of kf.yaml's spec.notebooks ("" = the only one)
  std::string run_name; // --name
};

struct NotebookResult {
  TrainResult run;
  bool reconnected = false; // it was running already: nothing was submitted
  std::string url;          // when reconnected and Ready: where it answers (with its token)
};

// Renders the notebook ([PVC,] Notebook) and submits it, unless a run of it
// is running already (then that run). Returns at once: follow it until Ready.
NotebookResult notebook(const Context& ctx, const NotebookOptions& options, ProjectTarget& pt);

struct StatusOptions {
  std::string run; // "" = every run; "@latest" = the newest
};

// One run as `kf status` shows it (and prints with -o json):
// {name, kind, target, state, message, created, updated, parameters, git{commit, dirty},
//  metrics{...final}, artifacts[...], model (path), replicas{Type: {active, succeeded, failed}},
//  restarts, progress{...}, url (a Ready InferenceService)}; a single run adds conditions, epochs, lineage and,
// when it failed, logTail (the failing replica's last lines).
std::vector<Json> status(const Context& ctx, const StatusOptions& options, ProjectTarget& pt);

// The newest model server (InferenceService) on the target, the newest Ready
// one when `ready`; "" when there is none.
std::string newest_model_server(const target::Target& t, bool ready);
// The model.json of the model a described InferenceService serves
// (parameters.model, a directory of this machine); {} when it cannot be read.
Json served_model_json(const Context& ctx, const Json& described);

// `kf delete RUN...`: stops and removes each; throws for an unknown run (after removing the others).
std::vector<std::string> delete_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt);
// Stops runs and keeps them (Target::stop): locally their processes end and
// the run is Stopped; on a cluster a Notebook gets Kubeflow's
// kubeflow-resource-stopped annotation, any other kind is deleted (its
// operator has no stop) — unless it had finished: a run that ended is kept
// as it ended. Missing runs are an error naming them.
struct StoppedRun {
  std::string run;
  std::string finished; // the state it had ended in before ("Complete"); "" when kf stopped it
};
std::vector<StoppedRun> stop_runs(const Context& ctx, const std::vector<std::string>& runs, ProjectTarget& pt);

} // namespace kf::action

namespace kf::action {

struct PredictOptions {
  std::string run;   // the serving run ("" = the newest one that is Ready)
  int index = 0;     // which sample of the test set
  std::optional<std::string> text; // a text model: this text instead of a test sample
};

struct PredictResult {
  std::string url;        // the infer endpoint called
  std::string test_set;   // the IDX file the sample came from ("" for --text)
  int index = 0;
  int label = -1;         // the test set's label
  int predicted = -1;     // the server's answer
  std::string predicted_name; // its class name (text models)
  std::vector<double> probabilities;
  std::vector<std::string> class_names; // the model's class names, when it has them
  Json response;          // the server's whole answer
};

// `kf predict`: sends sample `index` of the served model's test set (the
// t10k IDX files beside the dataset it was trained on), or `text` to a
// text model as a BYTES input, to the Open Inference Protocol endpoint and
// returns the answer.
PredictResult predict(const Context& ctx, const PredictOptions& options, ProjectTarget& pt);

} // namespace kf::action
