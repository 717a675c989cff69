// The CRD lifecycle: a CRD's served versions become resource types once it
// is Established (at once for --crds files, after Options::establish_delay
// for one created through the API); deleting a CRD deletes its resources.
// Deleting a namespace deletes what is in it, at once (no Terminating phase).
#include <algorithm>
#include <cctype>

#include "tests/kube-sim/store.h"

namespace kubesim {

namespace {

bool established(const Json& crd) {
  if (!crd.contains("status") || !crd["status"].contains("conditions")) return false;
  for (const auto& c : crd["status"]["conditions"])
    if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
  return false;
}

void mark_established(Json& crd) {
  const std::string now = now_rfc3339();
  Json versions = Json::array();
  for (const auto& v : crd["spec"]["versions"])
    if (v.value("storage", false)) versions.push_back(v.value("name", ""));
  crd["status"] = {
      {"conditions",
       {{{"type", "NamesAccepted"}, {"status", "True"}, {"reason", "NoConflicts"}, {"message", "no conflicts found"}, {"lastTransitionTime", now}},
        {{"type", "Established"}, {"status", "True"}, {"reason", "InitialNamesAccepted"}, {"message", "the initial names have been accepted"}, {"lastTransitionTime", now}}}},
      {"acceptedNames", crd["spec"]["names"]},
      {"storedVersions", versions}};
}

} // namespace

void Store::add_crd_types(const Json& crd) {
  const std::string name = crd["metadata"].value("name", "");
  remove_crd_types(name);
  const Json& spec = crd["spec"];
  const Json& names = spec["names"];
  auto schemas = std::make_shared<kf::render::SchemaSet>();
  schemas->add_crd(crd);
  m_schemas[name] = schemas;
  for (const auto& v : spec["versions"]) {
    if (!v.value("served", true)) continue;
    ResourceType t;
    t.group = spec.value("group", "");
    t.version = v.value("name", "");
    t.resource = names.value("plural", "");
    t.kind = names.value("kind", "");
    t.singular = names.value("singular", "");
    if (t.singular.empty()) {
      t.singular = t.kind;
      std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    t.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
    t.status_subresource = v.contains("subresources") && v["subresources"].contains("status");
    if (names.contains("shortNames")) t.short_names = names["shortNames"].get<std::vector<std::string>>();
    t.crd = name;
    m_types[t.key()] = t;
  }
}

void Store::remove_crd_types(const std::string& crd_name) {
  for (auto it = m_types.begin(); it != m_types.end();) {
    if (it->second.crd == crd_name) it = m_types.erase(it);
    else ++it;
  }
  m_schemas.erase(crd_name);
}

void Store::install_crd(Json crd) {
  const auto t = *find_type("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  const std::string name = crd.contains("metadata") ? crd["metadata"].value("name", "") : "";
  mark_established(crd);
  write(t, "", name, [&](const Json*) { return crd; }, false);
}

void Store::after_write(const ResourceType& t, const Json* before, const Json* after) {
  if (t.kind == "Namespace" && !after) {
    const std::string prefix = before->at("metadata").value("name", "") + "/";
    for (auto& [type_key, objs] : m_objects) {
      const auto type = m_types.find(type_key);
      for (auto it = objs.lower_bound(prefix); it != objs.end() && it->first.rfind(prefix, 0) == 0;) {
        const Json gone = it->second;
        it = objs.erase(it);
        if (type != m_types.end()) record(type->second, "DELETED", gone);
      }
    }
    return;
  }
  if (t.kind != "CustomResourceDefinition" || t.group != "apiextensions.k8s.io") return;
  const std::string name = (after ? after : before)->at("metadata").value("name", "");
  if (!after) {
    std::vector<ResourceType> gone_types;
    for (const auto& [key, type] : m_types)
      if (type.crd == name) gone_types.push_back(type);
    for (const auto& type : gone_types) {
      for (const auto& [key, obj] : m_objects[type.key()]) record(type, "DELETED", obj);
      m_objects.erase(type.key());
    }
    remove_crd_types(name);
    m_pending.erase(name);
    return;
  }
  if (established(*after)) add_crd_types(*after);
  else m_pending[name] = std::chrono::steady_clock::now() + m_options.establish_delay;
  m_cv.notify_all();
}

void Store::establish_loop() {
  std::unique_lock lock(m_mu);
  while (!m_stopping) {
    if (m_pending.empty()) {
      m_cv.wait(lock);
      continue;
    }
    auto next = std::min_element(m_pending.begin(), m_pending.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    if (std::chrono::steady_clock::now() < next->second) {
      m_cv.wait_until(lock, next->second);
      continue;
    }
    const std::string name = next->first;
    m_pending.erase(next);
    auto& crds = m_objects["apiextensions.k8s.io/v1/customresourcedefinitions"];
    const auto it = crds.find("/" + name);
    if (it == crds.end()) continue;
    mark_established(it->second);
    it->second["metadata"]["resourceVersion"] = std::to_string(m_rv + 1);
    add_crd_types(it->second);
    record(m_types.at("apiextensions.k8s.io/v1/customresourcedefinitions"), "MODIFIED", it->second);
  }
}

} // namespace kubesim
