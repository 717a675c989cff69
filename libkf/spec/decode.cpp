#include "libkf/spec/decode.h"

#include "contract/trainer_flags.h"
#include "libkf/spec/check.h"
#include "libkf/spec/defaults.h"
#include "libkf/spec/fields.h"
#include "libkf/util/embedded.h"
#include "libkf/util/strings.h"

namespace kf::spec {
namespace {

const std::vector<std::string> k_frameworks = {"pytorch", "tensorflow"};
const std::vector<std::string> k_operators = {"v1", "v2"};
const std::vector<std::string> k_restart_policies = {"OnFailure", "Never", "Always", "ExitCode"};
// kf-trainer's own choices (contract/trainer_flags.h), so a model kf.yaml
// accepts is one the trainer builds.
const std::vector<std::string> k_models = contract::flag_choices(*contract::find_trainer_flag("model"));
const std::vector<std::string> k_activations = contract::flag_choices(*contract::find_trainer_flag("activation"));
const std::vector<std::string> k_formats = {"idx", "csv", "text", "synthetic"};
const std::vector<std::string> k_goal_types = {"maximize", "minimize"};
const std::vector<std::string> k_algorithms = {"random", "grid", "bayesianoptimization", "tpe", "multivariate-tpe",
                                               "cmaes", "sobol", "hyperband", "pbt"};
const std::vector<std::string> k_param_types = {"double", "int", "categorical"};
const std::vector<std::string> k_scales = {"linear", "log"};
const std::vector<std::string> k_logger_modes = {"all", "request", "response"};
const std::vector<std::string> k_protocols = {"v1", "v2"};
const std::vector<std::string> k_target_types = {"local", "cluster"};

std::string index_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// An entry of a list of named things (parameters, steps, pipelines,
// notebooks, targets): where it is, and its required name.
template <typename Spec>
Spec named_element(Fields& f, const yaml::Node& node) {
  Spec s;
  s.loc = node.loc;
  s.name = f.required_string("name", s.name_loc);
  return s;
}

// Calls fn(item, item_path) for each entry of an optional list.
template <typename Fn>
void each_item(Fields& parent, const std::string& key, Fn fn) {
  const yaml::Node* n = parent.child(key);
  if (!n) return;
  if (!n->is_seq()) {
    parent.diag().error(n->loc, parent.path(key), "expected a list, got " + describe(*n));
    return;
  }
  for (std::size_t i = 0; i < n->items.size(); ++i) fn(n->items[i], index_path(parent.path(key), i));
}

Resources decode_resources(Fields& parent, const std::string& key, const Resources& def) {
  Fields f = parent.section(key);
  Resources r;
  r.cpu = f.string("cpu", def.cpu);
  r.memory = f.string("memory", def.memory);
  r.gpus = f.integer("gpus", def.gpus, 0, 16);
  for (const auto* q : {&r.cpu, &r.memory}) {
    if (!q->empty() && !is_quantity(*q)) {
      const std::string field = q == &r.cpu ? "cpu" : "memory";
      const yaml::Node* n = f.child(field);
      f.diag().error(n ? n->loc : f.loc(), f.path(field),
                     "invalid quantity " + str::quote(*q) + " (examples: 500m, 2, 4Gi)");
    }
  }
  return r;
}

ImageSpec decode_image(Fields& spec, const std::string& project) {
  Fields f = spec.section("image");
  ImageSpec i;
  i.registry = f.string("registry", "");
  i.name = f.string("name", project + "-trainer");
  i.tag = f.string("tag", defaults::k_image_tag);
  i.base = f.string("base", "");
  return i;
}

ModelSpec decode_model(Fields& training, yaml::Loc& type_loc) {
  Fields m = training.section("model");
  ModelSpec model;
  if (m.child("type")) type_loc = m.child("type")->loc;
  model.type = m.string("type", defaults::k_model_type, k_models);
  model.layers = m.integers("layers", 1, 65536);
  if (!m.child("layers")) model.layers.assign(std::begin(defaults::k_model_layers), std::end(defaults::k_model_layers));
  model.activation = m.string("activation", defaults::k_activation, k_activations);
  model.conv_channels = m.integers("convChannels", 1, 4096);
  model.batch_norm = m.boolean("batchNorm", false);
  model.sync_batch_norm = m.boolean("syncBatchNorm", false);
  if (model.sync_batch_norm && !model.batch_norm)
    m.diag().error(m.child("syncBatchNorm")->loc, m.path("syncBatchNorm"), "needs batchNorm: true");
  model.dropout = m.number("dropout");
  if (model.dropout && !(*model.dropout >= 0.0 && *model.dropout < 1.0))
    m.diag().error(m.child("dropout")->loc, m.path("dropout"), "must be a probability in [0, 1)");
  const bool text_model = model.type == "embeddingbag" || model.type == "transformer";
  if (model.batch_norm && text_model)
    m.diag().error(m.child("batchNorm")->loc, m.path("batchNorm"),
                   "is for the image models (mlp, cnn); the transformer has LayerNorm");
  model.augment = m.strings("augment", {"crop", "flip"});
  if (!model.augment.empty() && text_model)
    m.diag().error(m.child("augment")->loc, m.path("augment"), "is for the image models (mlp, cnn)");
  return model;
}

// source "synthetic" is kf-trainer's generated images, format "synthetic"
// too; each implies the other, and a file format with the generator (or the
// generator's format with a file) is refused here, not by every replica.
DataSpec decode_data(Fields& training) {
  Fields d = training.section("data");
  DataSpec data;
  const yaml::Node* source = d.child("source");
  const yaml::Node* format = d.child("format");
  data.source = d.string("source", defaults::k_data_source);
  const bool generated = data.source == "synthetic";
  data.format = d.string("format", generated ? "synthetic" : defaults::k_data_format, k_formats);
  if (data.format == "synthetic" && !source) data.source = "synthetic";
  if (generated && data.format != "synthetic" && format)
    d.diag().error(format->loc, d.path("format"),
                   "source \"synthetic\" generates its images: drop format, or write \"synthetic\", not " +
                       str::quote(data.format));
  else if (!generated && data.format == "synthetic" && source)
    d.diag().error(source->loc, d.path("source"),
                   "format \"synthetic\" generates its images and reads no file: write source: synthetic, or a "
                   "file format (idx, csv, text)");
  data.test_source = d.string("testSource", "");
  data.text_column = d.string("textColumn", "text");
  data.label_column = d.string("labelColumn", "label");
  return data;
}

// Each hyperparameter becomes --NAME=VALUE; for kf's own trainer (no
// training.command) NAME must be one of its flags.
std::vector<std::pair<std::string, Scalar>> decode_hyperparameters(Fields& training, bool kf_trainer) {
  std::vector<std::pair<std::string, Scalar>> out;
  const yaml::Node* hp = training.child("hyperparameters");
  if (!hp) return out;
  const std::string path = training.path("hyperparameters");
  if (!hp->is_map()) {
    training.diag().error(hp->loc, path, "expected a mapping, got " + describe(*hp));
    return out;
  }
  for (const auto& [k, v] : hp->entries) {
    const contract::TrainerFlag* flag = kf_trainer ? contract::find_trainer_flag(k.scalar) : nullptr;
    if (kf_trainer && !flag) {
      training.diag().error(k.loc, path + "." + k.scalar, not_a_trainer_flag(k.scalar));
    } else if (!v.is_scalar()) {
      training.diag().error(v.loc, path + "." + k.scalar, "expected a number, string or boolean, got " + describe(v));
    } else {
      out.emplace_back(k.scalar, yaml::to_json(v));
      if (flag) check_trainer_value(*flag, json::arg_text(out.back().second), v.loc, path + "." + k.scalar,
                                    training.diag());
    }
  }
  return out;
}

TrainingSpec decode_training(Fields& spec) {
  Fields f = spec.section("training");
  TrainingSpec t;
  t.loc = f.loc();
  t.framework = f.string("framework", defaults::k_framework, k_frameworks);
  t.operator_version = f.string("operator", "v1", k_operators);
  t.workers = f.integer("workers", defaults::k_workers, 1, 1024);
  t.parameter_servers = f.integer("parameterServers", 0, 0, 64);
  t.resources = decode_resources(f, "resources", Resources{defaults::k_cpu, defaults::k_memory, 0});
  t.data = decode_data(f);
  t.model_type_loc = t.loc;
  t.model = decode_model(f, t.model_type_loc);
  t.command = f.strings("command");
  t.hyperparameters = decode_hyperparameters(f, t.command.empty());
  t.restart_policy = f.string("restartPolicy", defaults::k_restart_policy, k_restart_policies);
  t.backoff_limit = f.integer("backoffLimit", defaults::k_backoff_limit, 0, 100);
  return t;
}

ParameterSpec decode_parameter(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  Fields f(diag, &node, path);
  auto p = named_element<ParameterSpec>(f, node);
  p.type = f.string("type", "double", k_param_types);
  p.min = f.number("min");
  if (const auto* n = f.child("min")) p.min_loc = n->loc;
  p.max = f.number("max");
  if (const auto* n = f.child("max")) p.max_loc = n->loc;
  p.step = f.number("step");
  p.scale = f.string("scale", defaults::k_scale, k_scales);
  p.values = f.strings("values");
  return p;
}

TuningSpec decode_tuning(Fields& spec) {
  Fields f = spec.section("tuning");
  TuningSpec t;
  t.present = f.present();
  t.loc = f.loc();
  {
    Fields o = f.section("objective");
    if (t.present && !o.present()) f.diag().error(f.loc(), f.path("objective"), "required field is missing");
    t.metric = o.present() ? o.required_string("metric") : "accuracy";
    t.goal_type = o.string("type", defaults::k_goal_type, k_goal_types);
    t.goal = o.number("goal");
    t.additional_metrics = o.strings("additionalMetrics");
  }
  {
    Fields a = f.section("algorithm");
    t.algorithm = a.string("name", defaults::k_algorithm, k_algorithms);
    t.algorithm_settings = a.string_map("settings");
    if (const yaml::Node* n = f.child("algorithm")) t.algorithm_loc = n->loc;
    if (const yaml::Node* n = a.child("settings"); n && n->is_map())
      for (const auto& [k, v] : n->entries) t.algorithm_setting_locs.emplace_back(k.loc, v.loc);
  }
  each_item(f, "parameters", [&](const yaml::Node& n, const std::string& p) {
    t.parameters.push_back(decode_parameter(f.diag(), n, p));
  });
  t.max_trials = f.integer("maxTrials", defaults::k_max_trials, 1, 100000);
  t.parallel_trials = f.integer("parallelTrials", defaults::k_parallel_trials, 1, 1000);
  if (const auto* n = f.child("parallelTrials")) t.parallel_loc = n->loc;
  t.max_failed_trials = f.integer("maxFailedTrials", defaults::k_max_failed_trials, 0, 100000);
  {
    Fields e = f.section("earlyStopping");
    if (e.present()) t.early_stopping = e.string("algorithm", "medianstop", {"medianstop"});
    t.early_stopping_settings = e.string_map("settings");
  }
  return t;
}

ServingSpec decode_serving(Fields& spec) {
  Fields f = spec.section("serving");
  ServingSpec s;
  s.present = f.present();
  s.replicas = f.integer("replicas", defaults::k_serving_replicas, 0, 1000);
  s.max_replicas = f.integer("maxReplicas", 0, 0, 1000);
  s.protocol = f.string("protocol", defaults::k_protocol, k_protocols);
  s.resources = decode_resources(f, "resources", Resources{defaults::k_cpu, defaults::k_memory, 0});
  s.model = f.string("model", "");
  Fields logger = f.section("logger");
  s.logger.present = logger.present();
  s.logger.mode = logger.string("mode", "all", k_logger_modes);
  s.logger.url = logger.string("url", "");
  return s;
}

StepSpec decode_step(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  Fields f(diag, &node, path);
  auto s = named_element<StepSpec>(f, node);
  s.image = f.string("image", "");
  s.command = f.strings("command");
  s.args = f.strings("args");
  s.inputs = f.strings("inputs");
  if (const auto* n = f.child("inputs"); n && n->is_seq())
    for (const auto& item : n->items) s.input_locs.push_back(item.loc);
  s.outputs = f.strings("outputs");
  s.depends_on = f.strings("dependsOn");
  if (const auto* n = f.child("dependsOn"); n && n->is_seq())
    for (const auto& item : n->items) s.depends_locs.push_back(item.loc);
  s.notebook = f.string("notebook", "");
  if (const auto* n = f.child("notebook")) s.notebook_loc = n->loc;
  s.parameters = f.string_map("parameters");
  s.path = path;
  return s;
}

PipelineSpec decode_pipeline(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  Fields f(diag, &node, path);
  auto p = named_element<PipelineSpec>(f, node);
  p.parameters = f.string_map("parameters");
  each_item(f, "steps", [&](const yaml::Node& n, const std::string& sp) { p.steps.push_back(decode_step(diag, n, sp)); });
  if (!f.child("steps") && f.present()) diag.error(node.loc, f.path("steps"), "required field is missing");
  return p;
}

NotebookSpec decode_notebook(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  Fields f(diag, &node, path);
  auto nb = named_element<NotebookSpec>(f, node);
  nb.image = f.string("image", defaults::k_notebook_image);
  nb.resources = decode_resources(f, "resources", Resources{"500m", "1Gi", 0});
  nb.volume_size = f.string("volumeSize", "");
  return nb;
}

PlatformSpec decode_platform(Fields& spec) {
  Fields f = spec.section("platform");
  PlatformSpec p;
  p.namespace_ = f.string("namespace", defaults::k_platform_namespace);
  p.source = f.string("source", "");
  each_item(f, "components", [&](const yaml::Node& n, const std::string& path) {
    Fields c(f.diag(), &n, path);
    ComponentSpec comp;
    comp.loc = n.loc;
    comp.name = c.required_string("name");
    if (const auto* nn = c.child("name"); nn && !comp.name.empty()) {
      const auto& known = known_components();
      if (std::find(known.begin(), known.end(), comp.name) == known.end())
        f.diag().error(nn->loc, c.path("name"),
                       "unknown component " + str::quote(comp.name) + str::did_you_mean(comp.name, known) +
                           "; known: " + str::join(known, ", "));
    }
    comp.version = c.string("version", "");
    p.components.push_back(comp);
  });
  return p;
}

TargetSpec decode_target(Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  Fields f(diag, &node, path);
  auto t = named_element<TargetSpec>(f, node);
  t.type = f.string("type", "cluster", k_target_types);
  t.kubeconfig = f.string("kubeconfig", "");
  t.context = f.string("context", "");
  t.namespace_ = f.string("namespace", "");
  if (t.type == "local" && (!t.kubeconfig.empty() || !t.context.empty()))
    diag.error(node.loc, path, "a local target takes no kubeconfig or context");
  return t;
}

// Kubernetes' rules for the keys of metadata.labels and metadata.annotations
// and for a label's value, checked at their place in kf.yaml (the API server
// would refuse every rendered object).
void check_metadata_map(Diagnostics& diag, const yaml::Node* map, const std::string& path, bool labels) {
  if (map == nullptr || !map->is_map()) return;
  for (const auto& [k, v] : map->entries) {
    if (!str::is_qualified_name(k.scalar))
      diag.error(k.loc, path,
                 "invalid key " + str::quote(k.scalar) +
                     ": at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, "
                     "optionally after a DNS subdomain and '/' (example.com/name)");
    else if (labels && v.is_scalar() && !str::is_label_value(v.scalar))
      diag.error(v.loc, path + "." + k.scalar,
                 "invalid label value " + str::quote(v.scalar) +
                     ": at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
  }
}

} // namespace

const std::vector<std::string>& known_components() {
  static const std::vector<std::string> k_names = [] {
    std::vector<std::string> names;
    const auto root = embedded::parsed("manifests/components.yaml");
    if (!root) return names;
    if (const auto* list = root->find("components"))
      for (const auto& c : list->items)
        if (const auto* n = c.find("name")) names.push_back(n->scalar);
    return names;
  }();
  return k_names;
}

Project decode_project(const yaml::Node& root) {
  Diagnostics diag;
  Project p;
  if (!root.is_map()) {
    diag.error(root.loc, "",
               root.is_null() ? "the project file is empty (start from 'kf init')"
                              : "expected a mapping with apiVersion, kind, metadata and spec, got " + describe(root));
    diag.throw_if_any();
  }
  {
    Fields top(diag, &root, "");
    p.api_version = top.required_string("apiVersion");
    if (!p.api_version.empty() && p.api_version != defaults::k_api_version) {
      diag.error(top.child("apiVersion")->loc, "apiVersion",
                 "unsupported apiVersion " + str::quote(p.api_version) + " (expected " + defaults::k_api_version + ")");
    }
    p.kind = top.required_string("kind");
    if (!p.kind.empty() && p.kind != defaults::k_kind)
      diag.error(top.child("kind")->loc, "kind",
                 "unsupported kind " + str::quote(p.kind) + " (expected " + defaults::k_kind + ")");
    {
      Fields meta(diag, top.child("metadata"), "metadata");
      if (!meta.present() && top.present()) diag.error(root.loc, "metadata", "required field is missing");
      if (meta.present()) {
        p.name = meta.required_string("name");
        if (!p.name.empty() && !str::is_dns1123_label(p.name))
          diag.error(meta.child("name")->loc, "metadata.name",
                     "invalid name " + str::quote(p.name) +
                         ": use lower-case letters, digits and '-', starting and ending with a letter or digit (at most 63)");
      }
      p.namespace_ = meta.string("namespace", defaults::k_namespace);
      for (auto& [k, v] : meta.string_map("labels")) p.labels[k] = v;
      for (auto& [k, v] : meta.string_map("annotations")) p.annotations[k] = v;
      check_metadata_map(diag, meta.child("labels"), "metadata.labels", true);
      check_metadata_map(diag, meta.child("annotations"), "metadata.annotations", false);
    }
    Fields spec(diag, top.child("spec"), "spec");
    p.image = decode_image(spec, p.name);
    p.training = decode_training(spec);
    p.tuning = decode_tuning(spec);
    p.serving = decode_serving(spec);
    each_item(spec, "pipelines",
              [&](const yaml::Node& n, const std::string& path) { p.pipelines.push_back(decode_pipeline(diag, n, path)); });
    each_item(spec, "notebooks",
              [&](const yaml::Node& n, const std::string& path) { p.notebooks.push_back(decode_notebook(diag, n, path)); });
    p.platform = decode_platform(spec);
    each_item(spec, "targets",
              [&](const yaml::Node& n, const std::string& path) { p.targets.push_back(decode_target(diag, n, path)); });
    p.default_target = spec.string("defaultTarget", defaults::k_default_target);
    if (const auto* n = spec.child("defaultTarget")) p.default_target_loc = n->loc;
  } // unknown keys are reported here, as the readers go out of scope
  check_project(p, diag);
  diag.throw_if_any();
  return p;
}

} // namespace kf::spec
