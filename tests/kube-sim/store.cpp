#include "tests/kube-sim/store.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include <openssl/evp.h>

#include "libkf/util/error.h"

namespace kubesim {

namespace {

ResourceType builtin(std::string group, std::string kind, std::string resource, bool namespaced,
                     std::vector<std::string> short_names, bool status = false) {
  ResourceType t;
  t.group = std::move(group);
  t.version = "v1";
  t.kind = std::move(kind);
  t.resource = std::move(resource);
  t.singular = t.resource.substr(0, t.resource.size() - 1);
  t.namespaced = namespaced;
  t.short_names = std::move(short_names);
  t.status_subresource = status;
  return t;
}

std::string kind_name(const ResourceType& t) { return t.group.empty() ? t.kind : t.kind + "." + t.group; }

ApiError invalid(const ResourceType& t, const std::string& name, const std::vector<std::pair<std::string, std::string>>& causes) {
  std::string joined;
  Json list = Json::array();
  for (const auto& [field, message] : causes) {
    if (!joined.empty()) joined += ", ";
    joined += field.empty() ? message : field + ": " + message;
    list.push_back({{"reason", "FieldValueInvalid"}, {"message", message}, {"field", field}});
  }
  if (causes.size() > 1) joined = "[" + joined + "]";
  return ApiError(422, "Invalid", kind_name(t) + " \"" + name + "\" is invalid: " + joined,
                  {{"name", name}, {"group", t.group}, {"kind", t.kind}, {"causes", list}});
}

bool valid_subdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '.') return false;
    if ((i == 0 || i + 1 == s.size()) && !alnum) return false;
  }
  return true;
}

// A Secret's stringData is write-only: the API server stores each key
// base64-encoded under data (over a data key of the same name) and drops it.
void fold_string_data(Json& secret) {
  if (!secret.contains("stringData")) return;
  const Json strings = secret["stringData"]; // a copy: ordered_json moves its members when "data" is added
  secret.erase("stringData");
  if (strings.is_object()) {
    if (!secret.contains("data") || !secret["data"].is_object()) secret["data"] = Json::object();
    for (const auto& [key, value] : strings.items()) {
      if (!value.is_string()) continue;
      const std::string text = value.get<std::string>();
      std::string encoded(4 * ((text.size() + 2) / 3), '\0');
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
      secret["data"][key] = encoded;
    }
  }
}

// Everything but metadata and status: what bumps metadata.generation.
Json payload(const Json& obj) {
  Json p = obj;
  p.erase("metadata");
  p.erase("status");
  return p;
}

Json without_rv(Json obj) {
  if (obj.contains("metadata")) obj["metadata"].erase("resourceVersion");
  return obj;
}

} // namespace

Json status_json(int code, const std::string& reason, const std::string& message, const Json& details) {
  Json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
            {"message", message}, {"reason", reason}};
  if (!details.empty()) s["details"] = details;
  s["code"] = code;
  return s;
}

Store::Store(Options options) : m_options(options) {
  for (auto t : {builtin("", "Namespace", "namespaces", false, {"ns"}, true),
                 builtin("", "ConfigMap", "configmaps", true, {"cm"}),
                 builtin("", "Secret", "secrets", true, {}),
                 builtin("", "Service", "services", true, {"svc"}, true),
                 builtin("", "ServiceAccount", "serviceaccounts", true, {"sa"}),
                 builtin("", "Pod", "pods", true, {"po"}, true),
                 builtin("", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}, true),
                 builtin("", "Event", "events", true, {"ev"}),
                 builtin("apps", "Deployment", "deployments", true, {"deploy"}, true),
                 builtin("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", false,
                         {"crd", "crds"}, true)})
    m_types[t.key()] = t;
  const auto ns_type = m_types.at("/v1/namespaces");
  for (const char* ns : {"default", "kube-system", "kube-public"})
    write(ns_type, "", ns, [&](const Json*) { return Json{{"metadata", {{"name", ns}}}}; }, false);
  m_establisher = std::thread([this] { establish_loop(); });
}

Store::~Store() {
  shutdown();
  m_establisher.join();
}

void Store::shutdown() {
  const std::lock_guard lock(m_mu);
  m_stopping = true;
  m_cv.notify_all();
}

bool Store::stopping() const {
  const std::lock_guard lock(m_mu);
  return m_stopping;
}

std::vector<ResourceType> Store::types() const {
  const std::lock_guard lock(m_mu);
  std::vector<ResourceType> out;
  for (const auto& [key, t] : m_types) out.push_back(t);
  return out;
}

std::optional<ResourceType> Store::find_type(const std::string& group, const std::string& version,
                                             const std::string& resource) const {
  const std::lock_guard lock(m_mu);
  const auto it = m_types.find(group + "/" + version + "/" + resource);
  if (it == m_types.end()) return std::nullopt;
  return it->second;
}

std::optional<ResourceType> Store::find_kind(const std::string& api_version, const std::string& kind) const {
  const std::lock_guard lock(m_mu);
  for (const auto& [key, t] : m_types)
    if (t.api_version() == api_version && t.kind == kind) return t;
  return std::nullopt;
}

std::optional<Json> Store::get(const ResourceType& t, const std::string& ns, const std::string& name) const {
  const std::lock_guard lock(m_mu);
  const auto objs = m_objects.find(t.key());
  if (objs == m_objects.end()) return std::nullopt;
  const auto it = objs->second.find(ns + "/" + name);
  if (it == objs->second.end()) return std::nullopt;
  return it->second;
}

Store::WriteResult Store::write(const ResourceType& t, const std::string& ns, const std::string& name,
                                const Mutation& mutate, bool dry_run) {
  std::unique_lock lock(m_mu);
  if (!m_types.count(t.key())) throw ApiError(404, "NotFound", "the server could not find the requested resource");
  auto& objs = m_objects[t.key()];
  const std::string key = ns + "/" + name;
  const auto it = objs.find(key);
  const Json* current = it == objs.end() ? nullptr : &it->second;
  std::optional<Json> next = mutate(current);
  if (!next) {
    if (!current) throw ApiError(404, "NotFound", t.qualified() + " \"" + name + "\" not found",
                                 {{"name", name}, {"group", t.group}, {"kind", t.resource}});
    Json gone = *current;
    if (!dry_run) {
      objs.erase(it);
      record(t, "DELETED", gone);
      after_write(t, &gone, nullptr);
      forget_logs(t, gone);
    }
    return {gone, false};
  }
  Json obj = std::move(*next);
  // (ordered_json keeps keys in a vector: add top-level keys before taking references into it)
  if (t.kind == "Namespace" && !obj.contains("status")) obj["status"] = {{"phase", "Active"}};
  if (t.kind == "Secret" && t.group.empty()) fold_string_data(obj);
  obj["apiVersion"] = t.api_version();
  obj["kind"] = t.kind;
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = Json::object();
  Json& md = obj["metadata"];
  md["name"] = name;
  if (t.namespaced) md["namespace"] = ns;
  else md.erase("namespace");
  if (current) {
    const Json& cmd = (*current)["metadata"];
    md["uid"] = cmd["uid"];
    md["creationTimestamp"] = cmd["creationTimestamp"];
    const std::int64_t gen = cmd.value("generation", std::int64_t{1});
    md["generation"] = payload(obj) == payload(*current) ? gen : gen + 1;
  } else {
    char uid[40];
    std::snprintf(uid, sizeof uid, "5a1e0000-0000-4000-8000-%012llx", static_cast<unsigned long long>(++m_uid));
    md["uid"] = uid;
    md["creationTimestamp"] = now_rfc3339();
    md["generation"] = 1;
  }
  validate(t, obj);
  if (current && without_rv(obj) == without_rv(*current)) return {*current, false};
  if (dry_run) return {obj, current == nullptr};
  md["resourceVersion"] = std::to_string(m_rv + 1);
  const Json before = current ? *current : Json();
  objs[key] = obj;
  record(t, current ? "MODIFIED" : "ADDED", obj);
  after_write(t, current ? &before : nullptr, &obj);
  return {obj, current == nullptr};
}

void Store::validate(const ResourceType& t, const Json& obj) const {
  const std::string name = obj["metadata"].value("name", "");
  if (!valid_subdomain(name))
    throw invalid(t, name, {{"metadata.name", "Invalid value: \"" + name + "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}});
  if (t.namespaced) {
    const std::string ns = obj["metadata"].value("namespace", "");
    const auto nss = m_objects.find("/v1/namespaces");
    if (nss == m_objects.end() || !nss->second.count("/" + ns))
      throw ApiError(404, "NotFound", "namespaces \"" + ns + "\" not found", {{"name", ns}, {"kind", "namespaces"}});
  }
  if (t.kind == "CustomResourceDefinition" && t.group == "apiextensions.k8s.io") {
    const Json& spec = obj.contains("spec") ? obj["spec"] : Json::object();
    const std::string want = spec.value("/names/plural"_json_pointer, std::string()) + "." + spec.value("group", "");
    if (name != want)
      throw invalid(t, name, {{"metadata.name", "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group"}});
    try {
      kf::render::SchemaSet probe;
      probe.add_crd(obj);
    } catch (const kf::Error& e) {
      throw invalid(t, name, {{"spec", std::string("Invalid value: ") + e.what()}});
    }
  }
  if (t.crd.empty()) return;
  const auto schemas = m_schemas.find(t.crd);
  if (schemas == m_schemas.end() || !schemas->second->has(t.api_version(), t.kind)) return;
  std::vector<std::pair<std::string, std::string>> causes;
  for (const auto& v : schemas->second->validate(obj)) causes.emplace_back(v.path, v.rule);
  if (!causes.empty()) throw invalid(t, name, causes);
}

void Store::record(const ResourceType& t, const std::string& type, const Json& obj) {
  ++m_rv;
  Json o = obj;
  if (type == "DELETED") o["metadata"]["resourceVersion"] = std::to_string(m_rv);
  m_events.push_back(Event{m_rv, type, t.key(), std::move(o)});
  while (m_events.size() > m_options.watch_history) {
    m_compacted = m_events.front().rv;
    m_events.pop_front();
  }
  m_cv.notify_all();
}

std::vector<Event> Store::all_events_after(std::uint64_t rv, std::chrono::milliseconds timeout, std::uint64_t* seen,
                                           bool* lost) const {
  std::unique_lock lock(m_mu);
  *lost = rv < m_compacted;
  if (!*lost) m_cv.wait_for(lock, timeout, [&] { return m_stopping || m_rv > rv; });
  *seen = std::max(rv, m_rv);
  std::vector<Event> out;
  if (*lost) return out;
  const auto first = std::partition_point(m_events.begin(), m_events.end(), [&](const Event& e) { return e.rv <= rv; });
  out.assign(first, m_events.end());
  return out;
}

std::uint64_t Store::resource_version() const {
  const std::lock_guard lock(m_mu);
  return m_rv;
}

} // namespace kubesim
