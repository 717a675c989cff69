#include "libkf/platform/record.h"

#include <algorithm>

#include "libkf/platform/objects.h"
#include "libkf/util/strings.h"

namespace kf::platform {

namespace {

kube::ObjectRef record_ref(const std::string& applied_by) {
  return kube::ObjectRef{"v1", "ConfigMap", k_record_namespace, record_name(applied_by)};
}

} // namespace

std::string record_name(const std::string& applied_by) { return "kf-applied-" + applied_by; }

std::vector<std::string> read_record(kube::Client& client, const std::string& applied_by) {
  const auto cm = client.get(record_ref(applied_by));
  std::vector<std::string> kinds;
  if (!cm || !cm->contains("data") || !(*cm)["data"].is_object()) return kinds;
  for (const auto& line : str::split((*cm)["data"].value("kinds", ""), '\n'))
    if (!str::trim(line).empty()) kinds.push_back(str::trim(line));
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  return kinds;
}

std::vector<std::string> write_record(kube::Client& client, const std::string& applied_by,
                                      const std::vector<std::string>& kinds, const std::string& field_manager) {
  auto all = read_record(client, applied_by);
  all.insert(all.end(), kinds.begin(), kinds.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  const Json cm = {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata",
                    {{"name", record_name(applied_by)},
                     {"namespace", k_record_namespace},
                     {"labels", {{k_label_managed_by, "kf"}, {"kf.dev/record-of", applied_by}}}}},
                   {"data", {{"kinds", str::join(all, "\n")}}}};
  kube::ApplyOptions ao;
  ao.field_manager = field_manager;
  ao.force = true; // kf's own bookkeeping: no other manager has a say in it
  client.apply(cm, ao);
  return all;
}

void delete_record(kube::Client& client, const std::string& applied_by) {
  client.remove(record_ref(applied_by), kube::DeleteOptions{});
}

std::vector<Json> list_applied(kube::Client& client, const std::string& applied_by, const std::vector<std::string>& kinds) {
  std::vector<Json> out;
  std::set<std::string> seen; // a kind recorded under two versions lists its objects twice
  for (const auto& k : kinds) {
    const auto slash = k.rfind('/');
    if (slash == std::string::npos) continue;
    const std::string api_version = k.substr(0, slash), kind = k.substr(slash + 1);
    if (!client.resource(api_version, kind)) continue; // no longer served (its CRD is gone)
    kube::ListOptions lo;
    lo.label_selector = label_selector(applied_by);
    for (auto& obj : client.list(api_version, kind, lo)) {
      if (!has_kf_labels(obj, applied_by)) continue;
      if (!obj.contains("apiVersion")) obj["apiVersion"] = api_version;
      if (!obj.contains("kind")) obj["kind"] = kind;
      if (seen.insert(identity(obj)).second) out.push_back(std::move(obj));
    }
  }
  return out;
}

std::vector<Json> prune_selection(const std::vector<Json>& listed, const std::set<std::string>& keep,
                                  const std::string& applied_by) {
  std::vector<Json> out;
  for (const auto& obj : listed)
    if (has_kf_labels(obj, applied_by) && !keep.count(identity(obj))) out.push_back(obj);
  return out;
}

} // namespace kf::platform
