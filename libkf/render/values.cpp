#include "libkf/render/values.h"

#include <cmath>

#include "libkf/render/notebook_step.h"
#include "libkf/spec/check.h"
#include "libkf/spec/defaults.h"
#include "libkf/spec/tuning.h"
#include "libkf/util/strings.h"

namespace kf::render {
namespace {

// A list or string as a value, or null when empty: a template's `{{- if }}` leaves the field out.
template <typename T>
Json or_null(const T& value) {
  return value.empty() ? Json(nullptr) : Json(value);
}

Json resources_json(const spec::Resources& r) {
  Json requests = Json::object(), limits = Json::object();
  if (!r.cpu.empty()) requests["cpu"] = limits["cpu"] = r.cpu;
  if (!r.memory.empty()) requests["memory"] = limits["memory"] = r.memory;
  if (r.gpus > 0) limits["nvidia.com/gpu"] = r.gpus;
  Json out = Json::object();
  if (!limits.empty()) out["limits"] = limits;
  if (!requests.empty()) out["requests"] = requests;
  return or_null(out);
}

// Katib's name/value list of settings, or null when there are none.
Json settings_or_null(const std::vector<std::pair<std::string, std::string>>& settings) {
  if (settings.empty()) return nullptr;
  Json arr = Json::array();
  for (const auto& [k, v] : settings) arr.push_back({{"name", k}, {"value", v}});
  return arr;
}

std::string artifact_name(const std::string& ref) {
  std::string out;
  for (char c : ref) out += (c == '.' || c == '_') ? '-' : c;
  return out;
}

} // namespace

Json base_values(const spec::Project& p, const std::string& image, const std::string& component) {
  Json labels = Json::object();
  labels["app.kubernetes.io/name"] = p.name;
  labels["app.kubernetes.io/part-of"] = p.name;
  labels["app.kubernetes.io/component"] = component;
  labels["app.kubernetes.io/managed-by"] = "kf";
  for (const auto& [k, v] : p.labels) labels[k] = v;
  Json v = Json::object();
  v["project"] = {{"name", p.name}, {"namespace", p.namespace_}};
  v["image"] = image;
  v["labels"] = labels;
  v["annotations"] = or_null(Json(p.annotations));
  return v;
}

std::vector<std::string> trainer_args(const spec::Project& p, bool trial_args) {
  const auto& t = p.training;
  std::vector<std::string> args;
  if (!t.command.empty()) {
    // A command override takes the hyperparameters only.
  } else {
    args.push_back("--data=" + t.data.source);
    args.push_back("--data-format=" + t.data.format);
    if (!t.data.test_source.empty()) args.push_back("--test-data=" + t.data.test_source);
    if (t.data.format == "text") {
      args.push_back("--text-column=" + t.data.text_column);
      args.push_back("--label-column=" + t.data.label_column);
    }
    args.push_back("--model=" + t.model.type);
    std::vector<std::string> layers;
    for (int l : t.model.layers) layers.push_back(std::to_string(l));
    args.push_back("--layers=" + (layers.empty() ? std::string("none") : str::join(layers, ",")));
    args.push_back("--activation=" + t.model.activation);
    const auto& m = t.model;
    if (!m.conv_channels.empty()) {
      std::vector<std::string> channels;
      for (int c : m.conv_channels) channels.push_back(std::to_string(c));
      args.push_back("--conv-channels=" + str::join(channels, ","));
    }
    if (m.batch_norm) args.push_back("--batch-norm");
    if (m.sync_batch_norm) args.push_back("--sync-batch-norm");
    if (m.dropout) args.push_back("--dropout=" + json::arg_text(Json(*m.dropout)));
    if (!m.augment.empty()) args.push_back("--augment=" + str::join(m.augment, ","));
  }
  std::vector<std::string> tuned;
  if (trial_args)
    for (const auto& param : p.tuning.parameters) tuned.push_back(param.name);
  for (const auto& [name, value] : t.hyperparameters) {
    if (std::find(tuned.begin(), tuned.end(), name) != tuned.end()) continue;
    args.push_back("--" + name + "=" + json::arg_text(value));
  }
  for (const auto& name : tuned) args.push_back("--" + name + "=${trialParameters." + name + "}");
  if (trial_args && p.tuning.algorithm == "pbt" && t.command.empty()) {
    // Each trial trains on from its parent's checkpoints, --epochs more.
    const std::string dir = spec::pbt_trial_dir(p.tuning);
    args.push_back("--output=" + (dir.empty() ? std::string(spec::k_pbt_trial_dir) : dir));
    args.push_back("--epochs-from-checkpoint");
  }
  return args;
}

Json training_values(const spec::Project& p, const std::string& image, bool trial_args) {
  const auto& t = p.training;
  const bool tf = t.framework == "tensorflow";
  Json v = base_values(p, image, trial_args ? "tuning" : "training");
  Json tr = Json::object();
  tr["name"] = p.name + "-train";
  tr["framework"] = t.framework;
  tr["container"] = tf ? "tensorflow" : "pytorch";
  tr["operator"] = t.operator_version;
  tr["runtime"] = p.name + "-torch";       // v2: the TrainingRuntime rendered beside the TrainJob
  tr["numNodes"] = t.workers;
  Json runtime_labels = v["labels"];
  runtime_labels["trainer.kubeflow.org/framework"] = "torch";
  tr["runtimeLabels"] = runtime_labels;
  tr["masterReplicas"] = 1;
  tr["workerReplicas"] = t.workers > 1 ? Json(t.workers - 1) : Json(nullptr);
  tr["psReplicas"] = t.parameter_servers > 0 ? Json(t.parameter_servers) : Json(nullptr);
  tr["restartPolicy"] = t.restart_policy;
  tr["backoffLimit"] = t.backoff_limit;
  Json command = Json::array();
  if (t.command.empty())
    command.push_back(spec::defaults::k_trainer_command);
  else
    for (const auto& c : t.command) command.push_back(c);
  tr["command"] = command;
  Json args = Json::array();
  for (const auto& a : trainer_args(p, trial_args)) args.push_back(a);
  tr["args"] = or_null(args);
  tr["env"] = Json::array({{{"name", "KF_PROJECT"}, {"value", p.name}}});
  tr["resources"] = resources_json(t.resources);
  v["training"] = tr;
  return v;
}

Json tuning_values(const spec::Project& p, const std::string& image, const Json& trial_spec) {
  const auto& t = p.tuning;
  Json v = base_values(p, image, "tuning");
  Json tu = Json::object();
  tu["name"] = p.name + "-tune";
  Json objective = {{"type", t.goal_type}, {"objectiveMetricName", t.metric}};
  objective["goal"] = t.goal ? Json(*t.goal) : Json(nullptr);
  if (!t.additional_metrics.empty()) objective["additionalMetricNames"] = t.additional_metrics;
  tu["objective"] = objective;
  tu["algorithm"] = {{"algorithmName", t.algorithm},
                     {"algorithmSettings", settings_or_null(spec::katib_algorithm_settings(t))}};
  // pbt's trials resume from their parent's checkpoints, in a volume Katib mounts (local: the trial's directory).
  tu["resumePolicy"] = t.algorithm == "pbt" ? Json("FromVolume") : Json(nullptr);
  tu["earlyStopping"] = t.early_stopping.empty()
                            ? Json(nullptr)
                            : Json{{"algorithmName", t.early_stopping},
                                   {"algorithmSettings", settings_or_null(t.early_stopping_settings)}};
  tu["maxTrialCount"] = t.max_trials;
  tu["parallelTrialCount"] = t.parallel_trials;
  tu["maxFailedTrialCount"] = t.max_failed_trials;
  Json trial_params = Json::array();
  for (const auto& param : t.parameters)
    trial_params.push_back({{"name", param.name},
                            {"description", "the trainer's --" + param.name + " flag"},
                            {"reference", param.name}});
  tu["parameters"] = spec::katib_parameters(t);
  tu["trialParameters"] = trial_params;
  tu["primaryContainerName"] = p.training.operator_version == "v2" ? "node"
                               : p.training.framework == "tensorflow" ? "tensorflow" : "pytorch";
  tu["successCondition"] = p.training.operator_version == "v2" ? "Complete" : "Succeeded";
  // A TrainJob's metrics come from its first node's pod (Katib finds it by these labels).
  tu["primaryPodLabels"] = p.training.operator_version == "v2"
                               ? Json{{"batch.kubernetes.io/job-completion-index", "0"}, {"jobset.sigs.k8s.io/replicatedjob-name", "node"}}
                               : Json(nullptr);
  tu["trialSpec"] = trial_spec;
  v["tuning"] = tu;
  return v;
}

Json serving_values(const spec::Project& p, const std::string& image) {
  const auto& s = p.serving;
  Json v = base_values(p, image, "serving");
  Json sv = Json::object();
  sv["name"] = p.name;
  sv["runtime"] = p.name + "-kf";
  sv["minReplicas"] = s.replicas;
  sv["maxReplicas"] = s.max_replicas > 0 ? Json(s.max_replicas) : Json(nullptr);
  sv["protocolVersion"] = s.protocol;
  sv["storageUri"] = s.model.empty() ? "pvc://" + p.name + "-models/model" : s.model;
  sv["resources"] = resources_json(s.resources);
  sv["logger"] = nullptr;
  if (s.logger.present) {
    sv["logger"] = Json{{"mode", s.logger.mode}};
    if (!s.logger.url.empty()) sv["logger"]["url"] = s.logger.url;
  }
  v["serving"] = sv;
  return v;
}

Json pipeline_values(const spec::Project& p, const std::string& image, const spec::PipelineSpec& pl) {
  Json v = base_values(p, image, "pipeline");
  Json pv = Json::object();
  pv["name"] = p.name + "-" + pl.name;
  pv["pipeline"] = pl.name;
  Json params = Json::array();
  for (const auto& [k, val] : pl.parameters) params.push_back({{"name", k}, {"value", val}});
  pv["parameters"] = or_null(params);
  Json steps = Json::array();
  for (const auto& s : pl.steps) {
    Json step = Json::object();
    step["name"] = s.name;
    step["image"] = s.image.empty() ? image : s.image;
    step["command"] = or_null(s.command);
    step["args"] = or_null(s.args);
    const auto deps = spec::step_dependencies(pl, s);
    step["dependencies"] = or_null(deps);
    Json in = Json::array(), args = Json::array();
    for (const auto& ref : s.inputs) {
      const auto dot = ref.find('.');
      const std::string name = artifact_name(ref);
      in.push_back({{"name", name}, {"path", "/kf/inputs/" + ref.substr(0, dot) + "/" + ref.substr(dot + 1)}});
      args.push_back({{"name", name},
                      {"from", "{{tasks." + ref.substr(0, dot) + ".outputs.artifacts." + ref.substr(dot + 1) + "}}"}});
    }
    step["argumentArtifacts"] = or_null(args);
    Json out = Json::array();
    for (const auto& o : s.outputs) out.push_back({{"name", o}, {"path", "/kf/outputs/" + o}});
    if (!s.notebook.empty()) notebook_step(s, step, in, out);
    step["inputArtifacts"] = or_null(in);
    step["outputArtifacts"] = or_null(out);
    steps.push_back(step);
  }
  pv["steps"] = steps;
  v["pipeline"] = pv;
  return v;
}

Json notebook_values(const spec::Project& p, const std::string& image, const spec::NotebookSpec& nb) {
  Json v = base_values(p, image, "notebook");
  Json n = Json::object();
  n["name"] = p.name + "-" + nb.name;
  n["container"] = nb.name;
  n["image"] = nb.image;
  n["resources"] = resources_json(nb.resources);
  n["volumeSize"] = or_null(nb.volume_size);
  n["claimName"] = p.name + "-" + nb.name + "-workspace";
  v["notebook"] = n;
  return v;
}

} // namespace kf::render
