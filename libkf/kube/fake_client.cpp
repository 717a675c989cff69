#include "libkf/kube/fake_client.h"

#include "libkf/kube/selector.h"
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
                        ResourceInfo{"", "v1", "pods", "Pod", true},
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

const ResourceInfo& FakeClient::kind_of(std::string_view api_version, std::string_view kind) const {
  for (const auto& r : m_kinds)
    if (api_version_of(r) == api_version && r.kind == kind) return r;
  throw Error("the server fake:// does not serve kind " + str::quote(kind) + " in version " + str::quote(api_version));
}

std::string FakeClient::key(const ObjectRef& ref) const {
  const ResourceInfo& r = kind_of(ref.api_version, ref.kind);
  return ref.api_version + "/" + ref.kind + "/" + (r.namespaced ? ref.namespace_ : "") + "/" + ref.name;
}

void FakeClient::record(std::string type, const Json& object, Json previous) {
  m_events.push_back(Event{m_rv, std::move(type), object.value("apiVersion", "") + "/" + object.value("kind", ""), object,
                           std::move(previous)});
  m_cv.notify_all();
}

Json FakeClient::apply(const Json& obj, const ApplyOptions& options) {
  const std::lock_guard lock(m_mu);
  ++m_requests;
  const ObjectRef ref = ObjectRef::of(obj);
  const std::string k = key(ref);
  const auto it = m_objects.find(k);
  Json next = it == m_objects.end() ? Json::object() : it->second;
  if (options.subresource == "status") {
    if (it == m_objects.end())
      throw ApiError(404, "NotFound", kind_of(ref.api_version, ref.kind).resource + " " + str::quote(ref.name) + " not found");
    merge(next["status"], obj.value("status", Json::object()));
  } else if (!options.subresource.empty()) {
    throw ApiError(404, "NotFound", "the server could not find the requested resource");
  } else {
    merge(next, obj);
  }
  if (obj.value("kind", "") == "CustomResourceDefinition" && !options.dry_run) {
    next["status"] = {{"conditions", {{{"type", "Established"}, {"status", "True"}}}}};
    const Json& spec = obj["spec"];
    for (const auto& v : spec.value("versions", Json::array()))
      m_kinds.push_back(ResourceInfo{spec.value("group", ""), v.value("name", ""), spec["names"].value("plural", ""),
                                     spec["names"].value("kind", ""), spec.value("scope", "Namespaced") == "Namespaced"});
  }
  if (it != m_objects.end() && next == it->second) return next;
  if (options.dry_run) {
    next["metadata"]["resourceVersion"] = std::to_string(m_rv + 1);
    return next;
  }
  next["metadata"]["resourceVersion"] = std::to_string(++m_rv);
  const bool created = it == m_objects.end();
  record(created ? "ADDED" : "MODIFIED", next, created ? Json() : it->second);
  m_objects[k] = next;
  return next;
}

Json FakeClient::create(const Json& obj, const CreateOptions& options) {
  const std::lock_guard lock(m_mu);
  ++m_requests;
  const ObjectRef ref = ObjectRef::of(obj);
  const std::string k = key(ref);
  if (m_objects.count(k)) {
    const ResourceInfo& r = kind_of(ref.api_version, ref.kind);
    throw AlreadyExists((r.group.empty() ? r.resource : r.resource + "." + r.group) + " " + str::quote(ref.name) +
                        " already exists");
  }
  Json next = obj;
  next.erase("status");
  if (options.dry_run) {
    next["metadata"]["resourceVersion"] = std::to_string(m_rv + 1);
    return next;
  }
  next["metadata"]["resourceVersion"] = std::to_string(++m_rv);
  record("ADDED", next, Json());
  m_objects[k] = next;
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
  const Selector selector = Selector::parse(options.label_selector, options.field_selector);
  const std::lock_guard lock(m_mu);
  ++m_requests;
  const bool namespaced = kind_of(api_version, kind).namespaced;
  std::vector<Json> out;
  for (const auto& [k, obj] : m_objects)
    if (obj.value("apiVersion", "") == api_version && obj.value("kind", "") == kind &&
        (!namespaced || options.namespace_.empty() || obj["metadata"].value("namespace", "") == options.namespace_) &&
        selector.matches(obj))
      out.push_back(obj);
  return out;
}

bool FakeClient::remove(const ObjectRef& ref, const DeleteOptions& options) {
  const std::lock_guard lock(m_mu);
  ++m_requests;
  const auto it = m_objects.find(key(ref));
  if (it == m_objects.end()) return false;
  if (options.dry_run) return true;
  Json last = it->second;
  last["metadata"]["resourceVersion"] = std::to_string(++m_rv); // a deletion is a change, as on a real server
  record("DELETED", last, Json());
  m_objects.erase(it);
  return true;
}

} // namespace kf::kube
