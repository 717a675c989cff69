#pragma once
// The objects `kf apply` works on: reading manifests (files, directories,
// stdin; several documents and v1 Lists), the labels kf puts on everything
// it applies, and the order a cluster needs them in.
//
// Apply order, in tiers (objects of one tier may be applied concurrently):
//   0 Namespaces
//   1 CustomResourceDefinitions (then kf waits until each is Established and served)
//   2 built-in kinds, in helm's install order (ServiceAccount, Secret,
//     ConfigMap, RBAC, Service, Deployment, ...)
//   3 custom resources (any kind of a group Kubernetes does not build in)
//   4 admission webhook configurations, last: a webhook whose server is
//     not running yet would refuse the objects applied after it
// Deleting goes the other way round (webhooks, custom resources, built-in
// kinds in reverse, CRDs, namespaces last). Plain functions on plain data.

#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/json.h"
#include "libkf/util/yaml.h"

namespace kf::platform {

struct Manifest {
  Json object;
  std::string source;    // where it came from, for messages: "file:line:col"
  std::string component; // kf.dev/component: a platform component, "project" or "manifests"
};

// Appends the objects of a YAML/JSON text (several documents; a v1 List is
// expanded). Throws SpecError "file:line:col: ..." for a document that is not
// a Kubernetes object or has no metadata.name.
void parse_manifests(std::string_view text, const std::string& shown, const std::string& component,
                     std::vector<Manifest>& out);
// What kf reads of every manifest's object before anything else, checked as
// kubectl does: a JSON object with apiVersion and kind, both non-empty strings,
// and metadata, when present, an object whose name, generateName and
// namespace are strings. Throws SpecError at `node`'s place (the document or
// List item `obj` was read from): "file:line:col: not a Kubernetes object
// ...", or "file:line:col: field: message".
void check_identity(const Json& obj, const yaml::Node& node);
// -f arguments: files, directories (their *.yaml, *.yml, *.json, sorted; not
// recursive) or "-" (`stdin_text`).
std::vector<Manifest> read_manifests(const std::vector<std::string>& files, const std::string& stdin_text);

inline constexpr const char* k_label_managed_by = "app.kubernetes.io/managed-by";
inline constexpr const char* k_label_applied_by = "kf.dev/applied-by";
inline constexpr const char* k_label_component = "kf.dev/component";
inline constexpr const char* k_applied_by_manifests = "manifests"; // kf apply -f

// Sets the three labels on metadata.labels (other labels stay).
void set_labels(Json& obj, const std::string& applied_by, const std::string& component);
// "app.kubernetes.io/managed-by=kf,kf.dev/applied-by=NAME"
std::string label_selector(const std::string& applied_by);
// Both labels are there with these values.
bool has_kf_labels(const Json& obj, const std::string& applied_by);

int tier(const Json& obj);
inline constexpr int k_tiers = 5;
inline constexpr int k_tier_crds = 1;

// The objects in apply order, one vector per tier (stable within a kind).
// An object given twice (same group, kind, namespace and name) is kept once:
// the last one given, as sequential applies would leave it.
std::vector<std::vector<Manifest>> apply_order(const std::vector<Manifest>& manifests);
// Objects (as listed from a cluster) in delete order: apply order reversed.
std::vector<Json> delete_order(std::vector<Json> objects);

// Whether the kind is cluster-scoped, without asking a server: Kubernetes'
// cluster-scoped built-in kinds, and custom kinds whose CRD (in `crds`, any
// objects) says scope: Cluster. Other custom kinds count as namespaced.
bool cluster_scoped(const Json& obj, const std::vector<Manifest>& crds);

// "apps/Deployment/ns/name": the same object whatever its version.
std::string identity(const Json& obj);
// kubectl's name for the kind without asking a server: "deployment.apps", "configmap".
std::string display_kind(const Json& obj);
// Whether Kubernetes builds the kind's group in (core, apps, rbac.authorization.k8s.io, ...).
bool builtin_group(std::string_view group);
std::string group_of(std::string_view api_version);

} // namespace kf::platform
