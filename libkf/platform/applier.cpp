#include "libkf/platform/applier.h"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "libkf/platform/parallel.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::platform {

namespace {

std::string name_of(const Json& obj) { return obj.value("metadata", Json::object()).value("name", ""); }

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

// What kf's apply can change: all but status (a controller's to write).
Json applied_part(Json obj) {
  obj = comparable(std::move(obj));
  obj.erase("status");
  return obj;
}

bool pending_crd_serves(const std::vector<Json>& crds, const Json& obj) {
  const std::string group = group_of(obj.value("apiVersion", ""));
  for (const auto& crd : crds)
    if (crd["spec"].value("group", "") == group && crd["spec"]["names"].value("kind", "") == obj.value("kind", ""))
      return true;
  return false;
}

// One object, ready to apply: its kind resolved and its namespace set.
struct Prepared {
  Json object;
  bool served = false;     // false: only a dry run's pending CRD serves it
  bool namespaced = false;
  bool listed = false;     // `before` comes from a LIST of its kind and namespace
  std::optional<Json> before;
};

Prepared prepare(kube::Client& client, const Manifest& m, const TierOptions& o) {
  Prepared p{m.object, false, false, false, std::nullopt};
  Json& obj = p.object;
  const std::string api_version = obj.value("apiVersion", ""), kind = obj.value("kind", "");
  const auto info = client.resource(api_version, kind);
  if (!info) {
    if (pending_crd_serves(o.pending_crds, obj)) return p;
    throw Error(m.source + ": " + kind + " " + str::quote(name_of(obj)) + ": the server " + client.server() +
                " does not serve kind " + str::quote(kind) + " in version " + str::quote(api_version) +
                " (is its CRD installed?)");
  }
  p.served = true;
  p.namespaced = info->namespaced;
  if (info->namespaced && obj["metadata"].value("namespace", "").empty()) obj["metadata"]["namespace"] = o.default_namespace;
  if (!info->namespaced) obj["metadata"].erase("namespace");
  return p;
}

// Lists the kinds and namespaces that hold many of the tier's objects, instead of a GET each.
void prefetch(kube::Client& client, std::vector<Prepared>& prepared) {
  std::map<std::string, std::vector<std::size_t>> groups; // "apiVersion kind namespace" -> indexes
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    const Json& obj = prepared[i].object;
    if (prepared[i].served)
      groups[obj.value("apiVersion", "") + " " + obj.value("kind", "") + " " + obj["metadata"].value("namespace", "")]
          .push_back(i);
  }
  for (const auto& [key, indexes] : groups) {
    if (indexes.size() < k_list_threshold) continue;
    const Json& first = prepared[indexes[0]].object;
    kube::ListOptions lo;
    lo.namespace_ = first["metadata"].value("namespace", "");
    std::map<std::string, Json> existing;
    for (auto& o : client.list(first.value("apiVersion", ""), first.value("kind", ""), lo))
      existing.emplace(name_of(o), std::move(o));
    for (const std::size_t i : indexes) {
      auto& p = prepared[i];
      p.listed = true;
      if (const auto it = existing.find(name_of(p.object)); it != existing.end()) p.before = it->second;
    }
  }
}

Applied apply_prepared(kube::Client& client, const Manifest& m, Prepared& p, const TierOptions& o) {
  const std::string display = display_kind(p.object) + "/" + name_of(p.object);
  if (!p.served) return {display, "", "created", p.object}; // a dry run installs no CRD
  const auto ref = kube::ObjectRef::of(p.object);
  try {
    if (!p.listed) p.before = client.get(ref);
    kube::ApplyOptions ao;
    ao.field_manager = o.field_manager;
    ao.force = o.force;
    ao.dry_run = o.dry_run;
    const Json after = client.apply(p.object, ao);
    std::string change = "configured";
    if (!p.before) change = "created";
    else if (o.dry_run ? comparable(*p.before) == comparable(after)
                       : p.before->at("metadata").value("resourceVersion", "") == after["metadata"].value("resourceVersion", "") ||
                             applied_part(*p.before) == applied_part(after)) // a controller wrote status in between
      change = "unchanged";
    if (o.debug) o.debug(display + " " + change);
    return {display, p.namespaced ? ref.namespace_ : "", change, after};
  } catch (const kube::ApiError& e) {
    std::string hint;
    if (e.code() == 409 && e.reason() == "Conflict") hint = " (--force-conflicts takes these fields over)";
    throw kube::ApiError(e.code(), e.reason(), m.source + ": " + e.what() + hint);
  }
}

} // namespace

std::vector<Applied> apply_tier(kube::Client& client, const std::vector<Manifest>& tier, const TierOptions& options) {
  std::vector<Prepared> prepared(tier.size());
  parallel_for(tier.size(), options.concurrency, [&](std::size_t i) { prepared[i] = prepare(client, tier[i], options); });
  prefetch(client, prepared);
  std::vector<Applied> done(tier.size());
  parallel_for(tier.size(), options.concurrency,
               [&](std::size_t i) { done[i] = apply_prepared(client, tier[i], prepared[i], options); });
  return done;
}

void wait_served(kube::Client& client, const Json& crd, std::chrono::milliseconds timeout) {
  const auto ref = kube::ObjectRef::of(crd);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const Json spec = crd.value("spec", Json::object());
  const std::string group = spec.value("group", ""), kind = spec.value("names", Json::object()).value("kind", "");
  auto pause = std::chrono::milliseconds(20);
  auto ready = [&](const Json& cur) {
    if (!established(cur)) return false;
    for (const auto& v : spec.value("versions", Json::array()))
      if (v.value("served", true) && !client.resource(group + "/" + v.value("name", ""), kind)) return false;
    return true;
  };
  for (Json cur = crd; !ready(cur);) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error("CustomResourceDefinition " + str::quote(ref.name) + " did not become Established within " +
                  std::to_string(timeout.count() / 1000) + "s");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
    const auto got = client.get(ref);
    if (!got) throw Error("CustomResourceDefinition " + str::quote(ref.name) + " disappeared while kf waited for it");
    cur = *got;
  }
}

} // namespace kf::platform
