#pragma once
// The project spec: kf.yaml (apiVersion kf.dev/v1alpha1, kind Project),
// decoded once into these typed structs by spec::load (load.h). Nothing
// downstream of the decoder sees YAML. Every default lives in defaults.h and
// is documented there and in man/kf-init.1's kf.yaml reference.
//
// Fields that later checks (ranges across fields, pipeline graphs) need to
// point at carry a yaml::Loc, so those errors name file:line:col too.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "libkf/util/json.h"
#include "libkf/util/yaml.h"

namespace kf::spec {

struct Resources {
  std::string cpu;    // Kubernetes quantity, e.g. "2" or "500m"; "" = not set
  std::string memory; // e.g. "4Gi"; "" = not set
  int gpus = 0;       // nvidia.com/gpu
};

struct ImageSpec {
  std::string registry; // e.g. "ghcr.io/acme"; "" = no registry (local)
  std::string name;     // default: "<project>-trainer"
  std::string tag;      // default: "latest"
  std::string base;     // base image for `kf build`; "" = none (self-contained)
  std::string ref() const; // "registry/name:tag"
};

struct DataSpec {
  std::string source; // path or URL of the training data (relative: to the project directory)
  std::string format; // idx | csv | text
  std::string test_source;  // testSource: the test split (csv, text); "" = the last tenth of source
  std::string text_column;  // textColumn (text): the column or JSON field holding the text
  std::string label_column; // labelColumn (text): the column holding the label
};

struct ModelSpec {
  std::string type;           // mlp | cnn (images) | embeddingbag | transformer (text)
  std::vector<int> layers;    // hidden layer widths (mlp)
  std::string activation;     // relu | tanh | sigmoid
  std::vector<int> conv_channels; // cnn: filters per conv block (empty: the trainer's default, 16, 32)
  bool batch_norm = false;    // images: BatchNorm after each conv and hidden dense layer
  bool sync_batch_norm = false; // its statistics over every worker's batch (--sync-batch-norm)
  std::optional<double> dropout; // after each hidden dense layer (images), or the transformer's
  std::vector<std::string> augment; // images, training only: crop, flip
};

// A hyperparameter value keeps the type it had in kf.yaml.
using Scalar = Json; // number, bool or string

struct TrainingSpec {
  std::string framework;      // pytorch | tensorflow
  std::string operator_version; // v1: PyTorchJob/TFJob (training operator) | v2: TrainJob (Kubeflow Trainer)
  int workers = 0;            // total replicas (the first is Master/Chief)
  int parameter_servers = 0;  // tensorflow only
  Resources resources;        // per worker; resources.gpus = GPUs per worker
  DataSpec data;
  ModelSpec model;
  yaml::Loc model_type_loc;   // where model.type is (or training, when it is left out)
  std::vector<std::pair<std::string, Scalar>> hyperparameters; // in file order
  std::vector<std::string> command; // overrides the trainer's command when set
  std::string restart_policy;       // OnFailure | Never | Always | ExitCode
  int backoff_limit = 0;
  yaml::Loc loc;
};

struct ParameterSpec {
  std::string name;
  std::string type;                // double | int | categorical
  std::optional<double> min, max;  // double / int
  std::optional<double> step;
  std::string scale;               // linear | log
  std::vector<std::string> values; // categorical
  yaml::Loc loc, name_loc, min_loc, max_loc;
};

struct TuningSpec {
  bool present = false;
  std::string metric;      // objective metric name, e.g. accuracy
  std::string goal_type;   // maximize | minimize
  std::optional<double> goal;
  std::vector<std::string> additional_metrics;
  std::string algorithm;   // random | grid | bayesianoptimization | tpe | hyperband | ...
  std::vector<std::pair<std::string, std::string>> algorithm_settings;
  std::vector<std::pair<yaml::Loc, yaml::Loc>> algorithm_setting_locs; // each setting's key and value
  yaml::Loc algorithm_loc;
  std::vector<ParameterSpec> parameters;
  int max_trials = 0;
  int parallel_trials = 0;
  int max_failed_trials = 0;
  std::string early_stopping; // "" | medianstop
  std::vector<std::pair<std::string, std::string>> early_stopping_settings;
  yaml::Loc loc, parallel_loc;
};

// serving.logger: the predictor logs its answers, as KServe's
// spec.predictor.logger (mode, url). The local target writes them to the
// run's predictions.jsonl (kf-server --log-file), which `kf monitor` reads.
struct LoggerSpec {
  bool present = false;
  std::string mode; // all | request | response
  std::string url;  // cluster: where KServe sends the CloudEvents ("" = the namespace's default broker)
};

struct ServingSpec {
  bool present = false;
  int replicas = 0;      // minReplicas
  int max_replicas = 0;  // 0 = same as replicas
  std::string protocol;  // v1 | v2
  Resources resources;
  std::string model;     // storage URI of the model; default: the latest training run's export
  LoggerSpec logger;
};

struct StepSpec {
  std::string name;
  std::string image;                 // default: the project's trainer image
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::string> inputs;   // artifact names consumed ("step.artifact")
  std::vector<std::string> outputs;  // artifact names produced
  std::vector<std::string> depends_on;
  // A notebook step: the .ipynb (relative to kf.yaml) executed by nbconvert
  // with `parameters` injected after its cell tagged "parameters", as
  // papermill does; the executed notebook is its output artifact "notebook".
  std::string notebook;
  std::string notebook_source; // the file's text, read by load_project
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string path;            // "spec.pipelines[0].steps[1]"
  yaml::Loc loc, name_loc, notebook_loc;
  std::vector<yaml::Loc> depends_locs, input_locs;
};

struct PipelineSpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> parameters; // name -> default value
  std::vector<StepSpec> steps;
  yaml::Loc loc, name_loc;
};

struct NotebookSpec {
  std::string name;
  std::string image;
  Resources resources;
  std::string volume_size; // "" = no workspace volume
  yaml::Loc loc, name_loc;
};

struct ComponentSpec {
  std::string name;    // training-operator | katib | kserve | pipelines | notebooks | argo | ...
  std::string version; // "" = the version in kf's component index
  yaml::Loc loc;
};

struct PlatformSpec {
  std::string namespace_;  // where Kubeflow runs, default "kubeflow"
  std::string source;      // "" = kf's built-in index; else a directory or git URL of manifests
  std::vector<ComponentSpec> components;
};

struct TargetSpec {
  std::string name;
  std::string type;       // local | cluster
  std::string kubeconfig; // "" = $KUBECONFIG or ~/.kube/config
  std::string context;    // "" = the kubeconfig's current context
  std::string namespace_; // "" = the context's namespace, else "default"
  yaml::Loc loc, name_loc;
};

struct Project {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string namespace_; // namespace objects are rendered into; default "default"
  std::map<std::string, std::string> labels; // extra labels on every object
  std::map<std::string, std::string> annotations; // on every object and pod template, as kustomize's commonAnnotations
  ImageSpec image;
  TrainingSpec training;
  TuningSpec tuning;
  ServingSpec serving;
  std::vector<PipelineSpec> pipelines;
  std::vector<NotebookSpec> notebooks;
  PlatformSpec platform;
  std::vector<TargetSpec> targets;
  std::string default_target; // default "local"
  yaml::Loc default_target_loc;

  const PipelineSpec* find_pipeline(std::string_view name) const;
  const TargetSpec* find_target(std::string_view name) const;
};

} // namespace kf::spec
