#include "libkf/platform/objects.h"
#include "libkf/util/strings.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/yaml.h"

namespace kf::platform {

namespace stdfs = std::filesystem;

namespace {

// Helm's install order for built-in kinds (pkg/release/util/kind_sorter.go);
// kinds not listed come after them.
const std::vector<std::string> k_kind_order = {
    "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount",
    "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
    "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet",
    "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService"};

const std::vector<std::string> k_builtin_groups = {
    "", "apps", "batch", "autoscaling", "policy", "rbac.authorization.k8s.io", "networking.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io",
    "certificates.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io", "apiregistration.k8s.io",
    "apiextensions.k8s.io", "admissionregistration.k8s.io", "resource.k8s.io", "storagemigration.k8s.io"};

const std::vector<std::string> k_cluster_kinds = {
    "Namespace", "Node", "PersistentVolume", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
    "StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "PriorityClass", "RuntimeClass", "IngressClass",
    "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration"};

std::size_t kind_rank(const std::string& kind) {
  const auto it = std::find(k_kind_order.begin(), k_kind_order.end(), kind);
  return static_cast<std::size_t>(it - k_kind_order.begin());
}

} // namespace

namespace {

void check_fields(const Json& obj) {
  for (const char* field : {"apiVersion", "kind"}) {
    const Json& v = obj[field];
    if (!v.is_string() || v.get<std::string>().empty())
      throw FieldError(field, std::string("must be a non-empty string (such as ") +
                                  (field == std::string("kind") ? "ConfigMap" : "v1 or apps/v1") + "), not " + v.dump());
  }
  if (!obj.contains("metadata") || obj["metadata"].is_null()) return;
  const Json& md = obj["metadata"];
  if (!md.is_object()) throw FieldError("metadata", "must be an object, not " + md.dump());
  for (const char* field : {"name", "generateName", "namespace"})
    if (md.contains(field) && !md[field].is_string())
      throw FieldError(std::string("metadata.") + field, "must be a string, not " + md[field].dump());
}

} // namespace

void check_identity(const Json& obj, const yaml::Node& node) {
  if (!obj.is_object() || !obj.contains("apiVersion") || !obj.contains("kind"))
    throw SpecError(node.loc.str() + ": not a Kubernetes object (apiVersion and kind are required)");
  try {
    check_fields(obj);
  } catch (const FieldError& e) {
    const yaml::Node* at = yaml::node_at(node, e.path());
    throw SpecError((at ? at->loc : node.loc).str() + ": " + e.path() + ": " + e.message());
  }
}

void parse_manifests(std::string_view text, const std::string& shown, const std::string& component,
                     std::vector<Manifest>& out) {
  for (const auto& doc : yaml::parse_all(text, shown)) {
    const Json obj = yaml::to_json(doc);
    check_identity(obj, doc);
    std::vector<std::pair<Json, const yaml::Node*>> objects;
    if (obj["kind"] == "List" && obj.contains("items") && obj["items"].is_array()) {
      const yaml::Node* items = doc.find("items");
      for (std::size_t i = 0; i < obj["items"].size(); ++i) {
        objects.emplace_back(obj["items"][i], items && i < items->items.size() ? &items->items[i] : &doc);
        check_identity(objects.back().first, *objects.back().second);
      }
    } else {
      objects.emplace_back(obj, &doc);
    }
    for (auto& [o, node] : objects) {
      const Json* md = o.contains("metadata") && o["metadata"].is_object() ? &o["metadata"] : nullptr;
      if (!md || md->value("name", "").empty())
        throw SpecError(node->loc.str() + ": " + o["kind"].get<std::string>() + " without metadata.name");
      out.push_back({std::move(o), node->loc.str(), component});
    }
  }
}

std::vector<Manifest> read_manifests(const std::vector<std::string>& files, const std::string& stdin_text) {
  std::vector<Manifest> out;
  for (const auto& f : files) {
    if (f == "-") {
      parse_manifests(stdin_text, "<stdin>", k_applied_by_manifests, out);
      continue;
    }
    std::error_code ec;
    if (!stdfs::is_directory(f, ec)) {
      parse_manifests(fs::read_file(f), f, k_applied_by_manifests, out);
      continue;
    }
    std::vector<stdfs::path> paths;
    for (const auto& e : stdfs::directory_iterator(f)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) parse_manifests(fs::read_file(p), p.string(), k_applied_by_manifests, out);
  }
  return out;
}

void set_labels(Json& obj, const std::string& applied_by, const std::string& component) {
  Json& md = obj["metadata"];
  if (!md.contains("labels") || !md["labels"].is_object()) md["labels"] = Json::object();
  md["labels"][k_label_managed_by] = "kf";
  md["labels"][k_label_applied_by] = applied_by;
  md["labels"][k_label_component] = component;
}

std::string label_selector(const std::string& applied_by) {
  return std::string(k_label_managed_by) + "=kf," + k_label_applied_by + "=" + applied_by;
}

bool has_kf_labels(const Json& obj, const std::string& name) {
  if (!obj.contains("metadata") || !obj["metadata"].contains("labels")) return false;
  const Json& l = obj["metadata"]["labels"];
  return l.is_object() && l.value(k_label_managed_by, "") == "kf" && l.value(k_label_applied_by, "") == name;
}

std::string group_of(std::string_view api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string_view::npos ? "" : std::string(api_version.substr(0, slash));
}

bool builtin_group(std::string_view group) {
  return std::find(k_builtin_groups.begin(), k_builtin_groups.end(), group) != k_builtin_groups.end();
}

int tier(const Json& obj) {
  const std::string kind = obj.value("kind", "");
  const std::string group = group_of(obj.value("apiVersion", ""));
  if (kind == "Namespace" && group.empty()) return 0;
  if (kind == "CustomResourceDefinition" && group == "apiextensions.k8s.io") return 1;
  if (group == "admissionregistration.k8s.io") return 4;
  return builtin_group(group) ? 2 : 3;
}

bool cluster_scoped(const Json& obj, const std::vector<Manifest>& crds) {
  const std::string kind = obj.value("kind", ""), group = group_of(obj.value("apiVersion", ""));
  if (builtin_group(group))
    return std::find(k_cluster_kinds.begin(), k_cluster_kinds.end(), kind) != k_cluster_kinds.end();
  for (const auto& m : crds) {
    if (m.object.value("kind", "") != "CustomResourceDefinition") continue;
    const Json spec = m.object.value("spec", Json::object());
    if (spec.value("group", "") == group && spec.value("names", Json::object()).value("kind", "") == kind)
      return spec.value("scope", "Namespaced") == "Cluster";
  }
  return false;
}

std::string identity(const Json& obj) {
  const Json md = obj.value("metadata", Json::object());
  return group_of(obj.value("apiVersion", "")) + "/" + obj.value("kind", "") + "/" + md.value("namespace", "") + "/" +
         md.value("name", "");
}

std::string display_kind(const Json& obj) {
  const std::string group = group_of(obj.value("apiVersion", ""));
  const std::string kind = str::lower(obj.value("kind", ""));
  return group.empty() ? kind : kind + "." + group;
}

std::vector<std::vector<Manifest>> apply_order(const std::vector<Manifest>& manifests) {
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < manifests.size(); ++i) last[identity(manifests[i].object)] = i;
  std::vector<std::vector<Manifest>> tiers(k_tiers);
  for (std::size_t i = 0; i < manifests.size(); ++i)
    if (last[identity(manifests[i].object)] == i) tiers[static_cast<std::size_t>(tier(manifests[i].object))].push_back(manifests[i]);
  std::stable_sort(tiers[2].begin(), tiers[2].end(), [](const Manifest& a, const Manifest& b) {
    return kind_rank(a.object.value("kind", "")) < kind_rank(b.object.value("kind", ""));
  });
  return tiers;
}

std::vector<Json> delete_order(std::vector<Json> objects) {
  std::stable_sort(objects.begin(), objects.end(), [](const Json& a, const Json& b) {
    const int ta = tier(a), tb = tier(b);
    if (ta != tb) return ta > tb;
    return ta == 2 && kind_rank(a.value("kind", "")) > kind_rank(b.value("kind", ""));
  });
  return objects;
}

} // namespace kf::platform
