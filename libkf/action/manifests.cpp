// `kf submit -f`: the objects of manifest files, submitted to a target as
// `kubectl create -f` / `argo submit` would, each run followed afterwards by
// the CLI like its kind's own verb.
#include <algorithm>
#include <filesystem>
#include <random>

#include "libkf/action/runs.h"
#include "libkf/platform/objects.h"
#include "libkf/render/schema.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"

namespace kf::action {

namespace stdfs = std::filesystem;

namespace {

struct Manifest {
  Json object;
  yaml::Node node; // where it was read, for file:line:col
};

// Objects a run refers to rather than runs: an InferenceService's
// ServingRuntime, an Experiment's trial template ConfigMap, a Notebook's
// volume claim, a TrainJob's runtime.
bool supporting_kind(const std::string& kind) {
  static const char* const kinds[] = {"ServingRuntime", "ClusterServingRuntime", "ConfigMap", "PersistentVolumeClaim",
                                      "TrainingRuntime", "ClusterTrainingRuntime"};
  return std::any_of(std::begin(kinds), std::end(kinds), [&](const char* k) { return kind == k; });
}

// The files -f names: a file, "-" (stdin), or a directory's *.yaml, *.yml and *.json, in name order.
std::vector<std::string> expand(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::error_code ec;
    if (f == "-" || !stdfs::is_directory(f, ec)) {
      out.push_back(f);
      continue;
    }
    std::vector<std::string> in_dir;
    for (const auto& e : stdfs::directory_iterator(f, ec)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) in_dir.push_back(e.path().string());
    }
    if (in_dir.empty()) throw UsageError("-f " + f + ": no .yaml, .yml or .json files in this directory");
    std::sort(in_dir.begin(), in_dir.end());
    out.insert(out.end(), in_dir.begin(), in_dir.end());
  }
  return out;
}

std::vector<Manifest> read_manifests(const ManifestOptions& o) {
  std::vector<Manifest> out;
  for (const auto& file : expand(o.files)) {
    std::error_code ec;
    if (file != "-" && !stdfs::exists(file, ec)) throw UsageError("-f " + file + ": no such file or directory");
    const std::string text = file == "-" ? o.stdin_text : fs::read_file(file);
    for (auto& doc : yaml::parse_all(text, file == "-" ? "<stdin>" : file)) {
      const Json obj = yaml::to_json(doc);
      platform::check_identity(obj, doc);
      if (obj["kind"] == "List" && obj.contains("items") && obj["items"].is_array()) {
        const yaml::Node* items = doc.find("items");
        for (std::size_t i = 0; i < obj["items"].size(); ++i) {
          out.push_back({obj["items"][i], items && i < items->items.size() ? items->items[i] : doc});
          platform::check_identity(out.back().object, out.back().node);
        }
        continue;
      }
      out.push_back({obj, std::move(doc)});
    }
  }
  if (out.empty()) throw UsageError("no objects in " + str::join(o.files, ", "));
  return out;
}

std::string display_name(const Json& obj) {
  const Json& md = obj.contains("metadata") ? obj["metadata"] : Json::object();
  const std::string name = md.value("name", "");
  return name.empty() ? md.value("generateName", "") : name;
}

// metadata.generateName: the prefix and five random characters, as the API server does.
std::string generated_name(const std::string& prefix) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::random_device rd;
  std::string name = prefix;
  for (int i = 0; i < 5; ++i) name += alphabet[rd() % (sizeof alphabet - 1)];
  return name;
}

// A FieldError about a manifest's object, at its place in the file.
[[noreturn]] void rethrow_at(const FieldError& e, const Manifest& m) {
  throw SpecError(yaml::node_at(m.node, e.path())->loc.str() + ": " + e.path() + ": " + e.message());
}

void check_kind(const Manifest& m, const ProjectTarget& pt) {
  const std::string kind = m.object.value("kind", "");
  const auto kinds = pt.target->kinds();
  if (kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) return;
  const yaml::Node* at = m.node.find("kind");
  throw SpecError((at ? at->loc : m.node.loc).str() + ": kind: the " + pt.target->name() + " target runs " +
                  target::kinds_text(kinds) + ", not " + kind + " (run it on a cluster: --target NAME)");
}

// What an API server would refuse at creation, for a target without one
// (the local target): every violation of the object's CRD schema, each at
// its file:line:col, in the apiserver's words.
void check_schema(const Manifest& m, const render::SchemaSet& schemas) {
  if (!schemas.has(m.object.value("apiVersion", ""), m.object.value("kind", ""))) return;
  std::vector<std::string> lines;
  for (const auto& v : schemas.validate(m.object)) lines.push_back(yaml::node_at(m.node, v.path)->loc.str() + ": " + v.str());
  if (!lines.empty()) throw SpecError(str::join(lines, "\n"));
}

} // namespace

std::vector<TrainResult> submit_manifests(const Context& ctx, const ManifestOptions& o, ProjectTarget& pt) {
  auto manifests = read_manifests(o);
  std::vector<Json> supporting;
  std::vector<Manifest*> runs;
  for (auto& m : manifests) {
    if (supporting_kind(m.object.value("kind", ""))) supporting.push_back(m.object);
    else runs.push_back(&m);
  }
  if (runs.empty()) throw UsageError("nothing to run in " + str::join(o.files, ", ") + ": only " +
                                     std::to_string(supporting.size()) + " supporting object(s)");
  if (!o.run_name.empty() && runs.size() > 1)
    throw UsageError("--name names one run, and " + str::join(o.files, ", ") + " has " + std::to_string(runs.size()));
  const bool check = !pt.target->traits().validates;
  for (auto* m : runs) {
    check_kind(*m, pt);
    set_workflow_parameters(m->object, o.parameters);
    if (o.no_cache) disable_step_cache(m->object);
    if (check) check_schema(*m, render::SchemaSet::shared_builtin());
  }
  std::vector<TrainResult> results;
  try {
    for (auto* m : runs) {
      target::SubmitOptions so;
      so.run_name = o.run_name;
      so.supporting = supporting;
      Json object = m->object;
      const std::string prefix = object["metadata"].value("generateName", "");
      if (object["metadata"].value("name", "").empty()) {
        if (prefix.empty()) throw SpecError(m->node.loc.str() + ": metadata.name: required (or metadata.generateName)");
        object["metadata"]["name"] = generated_name(prefix);
        if (so.run_name.empty()) so.run_name = object["metadata"]["name"];
      }
      try {
        const auto submitted = pt.target->submit(object, so);
        ctx.reporter.debug("submitted " + object.value("kind", "") + " " + submitted.run);
        results.push_back({submitted.run, pt.target_name, submitted.object, submitted.where});
      } catch (const FieldError& e) {
        rethrow_at(e, *m);
      }
    }
  } catch (...) {
    // All or nothing: the runs this call created go again.
    for (const auto& r : results) try {
        pt.target->remove(r.run);
      } catch (const Error&) {
      }
    throw;
  }
  return results;
}

void set_workflow_parameters(Json& object, const std::vector<std::string>& params) {
  if (params.empty()) return;
  const std::string kind = object.value("kind", "");
  if (kind != "Workflow")
    throw UsageError("-p NAME=VALUE sets a Workflow's spec.arguments.parameters; " + kind + " " +
                     str::quote(display_name(object)) + " has none");
  Json& list = object["spec"]["arguments"]["parameters"];
  if (!list.is_array()) list = Json::array();
  for (const auto& p : params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("-p " + p + ": expected NAME=VALUE");
    const std::string name = p.substr(0, eq);
    auto it = std::find_if(list.begin(), list.end(), [&](const Json& e) { return e.value("name", "") == name; });
    if (it == list.end()) {
      std::vector<std::string> names;
      for (const auto& e : list) names.push_back(e.value("name", ""));
      throw UsageError("-p " + name + ": Workflow " + str::quote(display_name(object)) + " has no parameter " +
                       str::quote(name) + str::did_you_mean(name, names) +
                       (names.empty() ? "" : " (it has " + str::join(names, ", ") + ")"));
    }
    (*it)["value"] = p.substr(eq + 1);
  }
}

void disable_step_cache(Json& object) {
  if (object.value("kind", "") != "Workflow")
    throw UsageError("--no-cache is about a Workflow's steps; " + object.value("kind", "") + " " + str::quote(display_name(object)) + " has none");
  object["metadata"]["annotations"]["kf.dev/cache"] = "false";
}

} // namespace kf::action
