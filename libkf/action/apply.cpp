#include "libkf/action/apply.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "libkf/kube/rest_client.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"

namespace kf::action {

namespace stdfs = std::filesystem;

namespace {

struct Manifest {
  Json object;
  std::string source; // file:line:col
};

void read_text(const std::string& text, const std::string& shown, std::vector<Manifest>& out) {
  for (const auto& doc : yaml::parse_all(text, shown)) {
    const Json obj = yaml::to_json(doc);
    if (!obj.is_object() || !obj.contains("apiVersion") || !obj.contains("kind"))
      throw SpecError(doc.loc.str() + ": not a Kubernetes object (apiVersion and kind are required)");
    if (obj["kind"] == "List" && obj.contains("items") && obj["items"].is_array()) {
      for (const auto& item : obj["items"]) out.push_back({item, doc.loc.str()});
      continue;
    }
    const Json* md = obj.contains("metadata") && obj["metadata"].is_object() ? &obj["metadata"] : nullptr;
    if (!md || md->value("name", "").empty())
      throw SpecError(doc.loc.str() + ": " + obj.value("kind", "object") + " without metadata.name");
    out.push_back({obj, doc.loc.str()});
  }
}

std::vector<Manifest> read_manifests(const ApplyOptions& o) {
  if (o.files.empty()) throw UsageError("kf apply needs -f FILE, DIR or - (installing kf.yaml's platform components comes later)");
  std::vector<Manifest> out;
  for (const auto& f : o.files) {
    if (f == "-") {
      read_text(o.stdin_text, "<stdin>", out);
      continue;
    }
    std::error_code ec;
    if (!stdfs::is_directory(f, ec)) {
      read_text(fs::read_file(f), f, out);
      continue;
    }
    std::vector<stdfs::path> files;
    for (const auto& e : stdfs::directory_iterator(f)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& p : files) read_text(fs::read_file(p), p.string(), out);
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// 0: namespaces, 1: CRDs, 2: everything else.
int phase(const Json& obj) {
  const std::string kind = obj.value("kind", "");
  if (kind == "Namespace" && obj.value("apiVersion", "") == "v1") return 0;
  if (kind == "CustomResourceDefinition" && obj.value("apiVersion", "") == "apiextensions.k8s.io/v1") return 1;
  return 2;
}

bool established(const Json& crd) {
  if (!crd.contains("status") || !crd["status"].contains("conditions")) return false;
  for (const auto& c : crd["status"]["conditions"])
    if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
  return false;
}

// The object without what the server changes on every write, to compare dry-run answers.
Json comparable(Json obj) {
  if (obj.contains("metadata") && obj["metadata"].is_object())
    for (const char* k : {"resourceVersion", "managedFields", "generation"}) obj["metadata"].erase(k);
  return obj;
}

AppliedObject apply_one(const Context& ctx, kube::Client& client, const ApplyOptions& o, const Manifest& m,
                        const std::vector<Json>& pending_crds) {
  Json obj = m.object;
  const std::string api_version = obj.value("apiVersion", "");
  const std::string kind = obj.value("kind", "");
  const std::string name = obj["metadata"].value("name", "");
  const auto info = client.resource(api_version, kind);
  if (!info) {
    for (const auto& crd : pending_crds) // a dry run does not install the CRD that would serve it
      if (crd["spec"].value("group", "") + "/" == api_version.substr(0, api_version.find('/') + 1) &&
          crd["spec"]["names"].value("kind", "") == kind)
        return {lower(kind) + "." + crd["spec"].value("group", "") + "/" + name, "", "created", obj};
    throw Error(m.source + ": " + kind + " " + str::quote(name) + ": the server " + client.server() +
                " does not serve kind " + str::quote(kind) + " in version " + str::quote(api_version) + " (is its CRD installed?)");
  }
  if (info->namespaced && obj["metadata"].value("namespace", "").empty())
    obj["metadata"]["namespace"] = o.kubeconfig.namespace_.empty() ? "default" : o.kubeconfig.namespace_;
  if (!info->namespaced) obj["metadata"].erase("namespace");
  const auto ref = kube::ObjectRef::of(obj);
  const std::string display = info->display() + "/" + name;
  try {
    const auto before = client.get(ref);
    const Json after = client.apply(obj, kube::ApplyOptions{o.field_manager, o.force_conflicts, o.dry_run, ""});
    std::string change = "configured";
    if (!before) change = "created";
    else if (o.dry_run ? comparable(*before) == comparable(after)
                       : before->at("metadata").value("resourceVersion", "") == after["metadata"].value("resourceVersion", ""))
      change = "unchanged";
    ctx.reporter.debug(display + " " + change);
    return {display, info->namespaced ? ref.namespace_ : "", change, after};
  } catch (const kube::ApiError& e) {
    std::string hint;
    if (e.code() == 409 && e.reason() == "Conflict") hint = " (--force-conflicts takes these fields over)";
    throw kube::ApiError(e.code(), e.reason(), m.source + ": " + e.what() + hint);
  }
}

void wait_established(const Context& ctx, kube::Client& client, const AppliedObject& crd, std::chrono::milliseconds timeout) {
  const auto ref = kube::ObjectRef::of(crd.object);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(20);
  for (Json cur = crd.object; !established(cur);) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error("CustomResourceDefinition " + str::quote(ref.name) + " did not become Established within " +
                  std::to_string(timeout.count() / 1000) + "s");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
    const auto got = client.get(ref);
    if (!got) throw Error("CustomResourceDefinition " + str::quote(ref.name) + " disappeared while kf waited for it");
    cur = *got;
  }
  ctx.reporter.debug(crd.display + " established");
}

} // namespace

ApplyResult apply(const Context& ctx, const ApplyOptions& options, kube::Client& client) {
  const auto manifests = read_manifests(options);
  ApplyResult result;
  result.server = client.server();
  std::vector<Json> pending_crds;
  std::vector<AppliedObject> crds;
  for (int p = 0; p < 3; ++p) {
    if (p == 2 && !options.dry_run)
      for (const auto& crd : crds) wait_established(ctx, client, crd, options.establish_timeout);
    for (const auto& m : manifests) {
      if (phase(m.object) != p) continue;
      result.objects.push_back(apply_one(ctx, client, options, m, pending_crds));
      if (p == 1) {
        crds.push_back(result.objects.back());
        if (options.dry_run) pending_crds.push_back(m.object);
      }
    }
  }
  return result;
}

ApplyResult apply(const Context& ctx, const ApplyOptions& options) {
  const auto config = kube::load_kubeconfig(options.kubeconfig);
  ctx.reporter.debug("server " + config.server + " (context " + config.context + ", namespace " + config.namespace_ + ")");
  kube::RestOptions rest;
  rest.debug = [&ctx](std::string_view line) { ctx.reporter.debug(line); };
  auto client = kube::connect(config, rest);
  ApplyOptions resolved = options;
  resolved.kubeconfig.namespace_ = config.namespace_;
  return apply(ctx, resolved, *client);
}

} // namespace kf::action
