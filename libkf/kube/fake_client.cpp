#include "libkf/kube/fake_client.h"

#include "libkf/util/strings.h"

namespace kf::kube {

namespace {

void merge(Json& into, const Json& from) {
  for (const auto& [k, v] : from.items()) {
    if (v.is_object() && into.contains(k) && into[k].is_object()) merge(into[k], v);
    else into[k] = v;
  }
}

std::string api_version_of(const ResourceInfo& r) { return r.group.empty() ? r.version : r.group + "/" + r.version; }

} // namespace

FakeClient::FakeClient() {
  for (const auto& r : {ResourceInfo{"", "v1", "namespaces", "Namespace", false},
                        ResourceInfo{"", "v1", "configmaps", "ConfigMap", true},
                        ResourceInfo{"", "v1", "secrets", "Secret", true},
                        ResourceInfo{"", "v1", "services", "Service", true},
                        ResourceInfo{"", "v1", "serviceaccounts", "ServiceAccount", true},
                        ResourceInfo{"apps", "v1", "deployments", "Deployment", true},
                        ResourceInfo{"apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false}})
    m_kinds.push_back(r);
}

void FakeClient::add_kind(const ResourceInfo& info) {
  const std::lock_guard lock(m_mu);
  m_kinds.push_back(info);
}

std::size_t FakeClient::requests() const {
  const std::lock_guard lock(m_mu);
  return m_requests;
}

std::optional<ResourceInfo> FakeClient::resource(std::string_view api_version, std::string_view kind) {
  const std::lock_guard lock(m_mu);
  for (const auto& r : m_kinds)
    if (api_version_of(r) == api_version && r.kind == kind) return r;
  return std::nullopt;
}

std::string FakeClient::key(const ObjectRef& ref) const {
  for (const auto& r : m_kinds)
    if (api_version_of(r) == ref.api_version && r.kind == ref.kind)
      return ref.api_version + "/" + ref.kind + "/" + (r.namespaced ? ref.namespace_ : "") + "/" + ref.name;
  throw Error("the server fake:// does not serve kind " + str::quote(ref.kind) + " in version " + str::quote(ref.api_version));
}

Json FakeClient::apply(const Json& obj, const ApplyOptions& options) {
  const std::lock_guard lock(m_mu);
  ++m_requests;
  const std::string k = key(ObjectRef::of(obj));
  const auto it = m_objects.find(k);
  Json next = it == m_objects.end() ? Json::object() : it->second;
  merge(next, obj);
  if (obj.value("kind", "") == "CustomResourceDefinition") {
    next["status"] = {{"conditions", {{{"type", "Established"}, {"status", "True"}}}}};
    const Json& spec = obj["spec"];
    for (const auto& v : spec.value("versions", Json::array()))
      m_kinds.push_back(ResourceInfo{spec.value("group", ""), v.value("name", ""), spec["names"].value("plural", ""),
                                     spec["names"].value("kind", ""), spec.value("scope", "Namespaced") == "Namespaced"});
  }
  if (it != m_objects.end() && next == it->second) return next;
  next["metadata"]["resourceVersion"] = std::to_string(++m_rv);
  if (!options.dry_run) m_objects[k] = next;
  return next;
}

std::optional<Json> FakeClient::get(const ObjectRef& ref) {
  const std::lock_guard lock(m_mu);
  ++m_requests;
  const auto it = m_objects.find(key(ref));
  if (it == m_objects.end()) return std::nullopt;
  return it->second;
}

std::vector<Json> FakeClient::list(std::string_view api_version, std::string_view kind, const ListOptions& options) {
  const std::lock_guard lock(m_mu);
  ++m_requests;
  std::vector<Json> out;
  for (const auto& [k, obj] : m_objects)
    if (obj.value("apiVersion", "") == api_version && obj.value("kind", "") == kind &&
        (options.namespace_.empty() || obj["metadata"].value("namespace", "") == options.namespace_))
      out.push_back(obj);
  return out;
}

bool FakeClient::remove(const ObjectRef& ref, const DeleteOptions& options) {
  const std::lock_guard lock(m_mu);
  ++m_requests;
  const auto it = m_objects.find(key(ref));
  if (it == m_objects.end()) return false;
  if (!options.dry_run) m_objects.erase(it);
  return true;
}

std::string FakeClient::watch(std::string_view, std::string_view, const WatchOptions&,
                              const std::function<bool(const WatchEvent&)>&) {
  throw Error("FakeClient::watch: TODO (helper kube-client)");
}

void FakeClient::pod_logs(const std::string&, const std::string&, const PodLogOptions&,
                          const std::function<bool(std::string_view)>&) {
  throw Error("FakeClient::pod_logs: TODO (helper kube-client)");
}

} // namespace kf::kube
