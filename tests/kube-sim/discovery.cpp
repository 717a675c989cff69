#include "tests/kube-sim/discovery.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

namespace kubesim {

namespace {

std::string gv_path(const ResourceType& t) { return t.group.empty() ? "api/" + t.version : "apis/" + t.group + "/" + t.version; }

// Groups in a stable order (built-ins first as registered, then by name), versions as they come.
std::map<std::string, std::vector<std::string>> group_versions(const std::vector<ResourceType>& types) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& t : types) {
    if (t.group.empty()) continue;
    auto& vs = out[t.group];
    if (std::find(vs.begin(), vs.end(), t.version) == vs.end()) vs.push_back(t.version);
  }
  return out;
}

Json group_doc(const std::string& group, const std::vector<std::string>& versions) {
  Json vs = Json::array();
  for (const auto& v : versions) vs.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
  return {{"name", group}, {"versions", vs}, {"preferredVersion", vs[0]}};
}

Json openapi_gv(const std::vector<ResourceType>& types, const std::string& path) {
  Json paths = Json::object();
  for (const auto& t : types) {
    if (gv_path(t) != path) continue;
    const std::string item = "/" + path + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.resource + "/{name}";
    paths[item] = {{"patch",
                    {{"operationId", "patch" + t.kind},
                     {"x-kubernetes-group-version-kind", {{"group", t.group}, {"version", t.version}, {"kind", t.kind}}},
                     {"parameters",
                      {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                       {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                       {{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                       {{"name", "force"}, {"in", "query"}, {"schema", {{"type", "boolean"}}}}}},
                     {"responses", {{"200", {{"description", "OK"}}}}}}}};
  }
  return {{"openapi", "3.0.0"}, {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}}, {"paths", paths},
          {"components", {{"schemas", Json::object()}}}};
}

} // namespace

Json version_doc() {
  return {{"major", "1"}, {"minor", "32"}, {"gitVersion", "v1.32.0-kube-sim"}, {"gitCommit", "0000000"},
          {"gitTreeState", "clean"}, {"buildDate", "2026-01-01T00:00:00Z"}, {"goVersion", "go1.23"},
          {"compiler", "gc"}, {"platform", "linux/amd64"}};
}

Json api_versions_doc(const std::string& address) {
  return {{"kind", "APIVersions"}, {"versions", {"v1"}},
          {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", address}}}}};
}

Json api_group_list_doc(const std::vector<ResourceType>& types) {
  Json groups = Json::array();
  for (const auto& [group, versions] : group_versions(types)) groups.push_back(group_doc(group, versions));
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<Json> api_group_doc(const std::vector<ResourceType>& types, const std::string& group) {
  const auto gvs = group_versions(types);
  const auto it = gvs.find(group);
  if (it == gvs.end()) return std::nullopt;
  Json doc = group_doc(group, it->second);
  doc["kind"] = "APIGroup";
  doc["apiVersion"] = "v1";
  return doc;
}

std::optional<Json> api_resource_list_doc(const std::vector<ResourceType>& types, const std::string& group,
                                          const std::string& version) {
  Json resources = Json::array();
  for (const auto& t : types) {
    if (t.group != group || t.version != version) continue;
    Json r = {{"name", t.resource}, {"singularName", t.singular}, {"namespaced", t.namespaced}, {"kind", t.kind},
              {"verbs", {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    resources.push_back(r);
    if (t.status_subresource)
      resources.push_back({{"name", t.resource + "/status"}, {"singularName", ""}, {"namespaced", t.namespaced},
                           {"kind", t.kind}, {"verbs", {"get", "patch", "update"}}});
  }
  if (resources.empty()) return std::nullopt;
  return Json{{"kind", "APIResourceList"}, {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version}, {"resources", resources}};
}

Json openapi_root_doc(const std::vector<ResourceType>& types) {
  std::set<std::string> gvs;
  for (const auto& t : types) gvs.insert(gv_path(t));
  Json paths = Json::object();
  for (const auto& gv : gvs) {
    const auto hash = std::hash<std::string>{}(openapi_gv(types, gv).dump());
    char hex[20];
    std::snprintf(hex, sizeof hex, "%016zX", hash);
    paths[gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hex}};
  }
  return {{"paths", paths}};
}

std::optional<Json> openapi_gv_doc(const std::vector<ResourceType>& types, const std::string& path) {
  for (const auto& t : types)
    if (gv_path(t) == path) return openapi_gv(types, path);
  return std::nullopt;
}

} // namespace kubesim
