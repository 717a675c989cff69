#include "tests/kube-sim/apply.h"

#include <set>

namespace kubesim {

namespace {

using Path = std::vector<std::string>;

// metadata fields the server owns: never part of a manager's field set.
bool server_owned(const Path& cur, const std::string& key) {
  if (cur.empty()) return key == "apiVersion" || key == "kind";
  if (cur.size() == 1 && cur[0] == "metadata")
    return key == "name" || key == "namespace" || key == "uid" || key == "resourceVersion" || key == "generation" ||
           key == "creationTimestamp" || key == "managedFields" || key == "generateName" || key == "selfLink" ||
           key == "deletionTimestamp";
  return false;
}

void collect(const Json& v, Path& cur, std::set<Path>& out) {
  if (v.is_object() && !v.empty()) {
    for (const auto& [k, x] : v.items()) {
      if (server_owned(cur, k)) continue;
      cur.push_back(k);
      collect(x, cur, out);
      cur.pop_back();
    }
  } else if (!cur.empty()) {
    out.insert(cur);
  }
}

std::set<Path> leaves(const Json& v) {
  std::set<Path> out;
  Path cur;
  collect(v, cur, out);
  return out;
}

const Json* value_at(const Json& obj, const Path& p) {
  const Json* cur = &obj;
  for (const auto& k : p) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}

void erase_path(Json& obj, const Path& p) {
  Json* cur = &obj;
  for (std::size_t i = 0; i + 1 < p.size(); ++i) {
    if (!cur->is_object() || !cur->contains(p[i])) return;
    cur = &(*cur)[p[i]];
  }
  if (cur->is_object()) cur->erase(p.back());
}

void deep_merge(Json& into, const Json& from) {
  for (const auto& [k, v] : from.items()) {
    if (v.is_object() && into.contains(k) && into[k].is_object()) deep_merge(into[k], v);
    else into[k] = v;
  }
}

Json to_fields(const std::set<Path>& paths) {
  Json tree = Json::object();
  for (const auto& p : paths) {
    Json* cur = &tree;
    for (const auto& k : p) cur = &(*cur)["f:" + k];
    if (cur->is_null()) *cur = Json::object();
  }
  return tree;
}

void from_fields(const Json& tree, Path& cur, std::set<Path>& out) {
  if (!tree.is_object() || tree.empty()) {
    if (!cur.empty()) out.insert(cur);
    return;
  }
  for (const auto& [k, v] : tree.items()) {
    if (k.rfind("f:", 0) != 0) continue;
    cur.push_back(k.substr(2));
    from_fields(v, cur, out);
    cur.pop_back();
  }
}

struct Entry {
  std::string manager, operation, api_version, time;
  std::set<Path> fields;
};

std::vector<Entry> read_entries(const Json& obj) {
  std::vector<Entry> out;
  const Json* mf = value_at(obj, {"metadata", "managedFields"});
  if (!mf || !mf->is_array()) return out;
  for (const auto& e : *mf) {
    Entry entry{e.value("manager", ""), e.value("operation", ""), e.value("apiVersion", ""), e.value("time", ""), {}};
    Path cur;
    if (e.contains("fieldsV1")) from_fields(e["fieldsV1"], cur, entry.fields);
    out.push_back(std::move(entry));
  }
  return out;
}

void write_entries(Json& obj, const std::vector<Entry>& entries) {
  Json mf = Json::array();
  for (const auto& e : entries) {
    if (e.fields.empty()) continue;
    mf.push_back({{"manager", e.manager}, {"operation", e.operation}, {"apiVersion", e.api_version}, {"time", e.time},
                  {"fieldsType", "FieldsV1"}, {"fieldsV1", to_fields(e.fields)}});
  }
  if (mf.empty()) obj["metadata"].erase("managedFields");
  else obj["metadata"]["managedFields"] = mf;
}

// Sets `fields` as the entry of (manager, operation); keeps its time when unchanged.
void own(std::vector<Entry>& entries, const std::string& manager, const std::string& operation,
         const std::string& api_version, std::set<Path> fields) {
  for (auto& e : entries)
    if (e.manager == manager && e.operation == operation) {
      if (e.fields != fields) e.time = now_rfc3339();
      e.fields = std::move(fields);
      e.api_version = api_version;
      return;
    }
  entries.push_back(Entry{manager, operation, api_version, now_rfc3339(), std::move(fields)});
}

std::string dotted(const Path& p) {
  std::string s;
  for (const auto& k : p) s += "." + k;
  return s;
}

} // namespace

Json merge_patch(Json target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = Json::object();
  for (const auto& [k, v] : patch.items()) {
    if (v.is_null()) target.erase(k);
    else target[k] = merge_patch(target.contains(k) ? target[k] : Json(), v);
  }
  return target;
}

Json server_side_apply(const Json* current, const Json& applied, const std::string& manager, bool force) {
  Json result = current ? *current : Json::object();
  auto entries = read_entries(result);
  const std::string api_version = applied.value("apiVersion", "");
  const std::set<Path> fields = leaves(applied);

  std::vector<std::pair<std::string, Path>> conflicts;
  for (auto& e : entries) {
    if (e.manager == manager) continue;
    for (const auto& p : fields) {
      if (!e.fields.count(p)) continue;
      const Json* have = value_at(result, p);
      if (!have || *have != *value_at(applied, p)) conflicts.emplace_back(e.manager, p);
    }
  }
  if (!conflicts.empty() && !force) {
    Json causes = Json::array();
    std::string msg = "Apply failed with " + std::to_string(conflicts.size()) +
                      (conflicts.size() == 1 ? " conflict: conflict with \"" + conflicts[0].first + "\": " + dotted(conflicts[0].second)
                                             : " conflicts:");
    for (const auto& [m, p] : conflicts) {
      if (conflicts.size() > 1) msg += "\n- conflict with \"" + m + "\": " + dotted(p);
      causes.push_back({{"reason", "FieldManagerConflict"}, {"message", "conflict with \"" + m + "\""}, {"field", dotted(p)}});
    }
    throw ApiError(409, "Conflict", msg, {{"causes", causes}});
  }
  for (auto& e : entries)
    if (e.manager != manager)
      for (const auto& [m, p] : conflicts) e.fields.erase(p);

  std::set<Path> previous;
  for (const auto& e : entries)
    if (e.manager == manager && e.operation == "Apply") previous = e.fields;
  for (const auto& p : previous) {
    if (fields.count(p)) continue;
    bool shared = false;
    for (const auto& e : entries)
      shared = shared || ((e.manager != manager || e.operation != "Apply") && e.fields.count(p));
    if (!shared) erase_path(result, p);
  }
  Json body = applied;
  if (body.contains("metadata") && body["metadata"].is_object())
    for (const char* k : {"resourceVersion", "managedFields", "uid", "creationTimestamp", "generation"}) body["metadata"].erase(k);
  deep_merge(result, body);
  own(entries, manager, "Apply", api_version, fields);
  write_entries(result, entries);
  return result;
}

void track_update(const Json* before, Json& after, const std::string& manager) {
  auto entries = before ? read_entries(*before) : std::vector<Entry>{};
  std::set<Path> changed;
  for (const auto& p : leaves(after)) {
    const Json* old = before ? value_at(*before, p) : nullptr;
    if (!old || *old != *value_at(after, p)) changed.insert(p);
  }
  const auto now = leaves(after);
  for (auto& e : entries)
    for (auto it = e.fields.begin(); it != e.fields.end();) {
      if (!now.count(*it) || (changed.count(*it) && e.manager != manager)) it = e.fields.erase(it);
      else ++it;
    }
  std::set<Path> mine;
  for (const auto& e : entries)
    if (e.manager == manager && e.operation == "Update") mine = e.fields;
  mine.insert(changed.begin(), changed.end());
  if (!mine.empty()) own(entries, manager, "Update", after.value("apiVersion", ""), mine);
  if (!after.contains("metadata") || !after["metadata"].is_object()) after["metadata"] = Json::object();
  write_entries(after, entries);
}

} // namespace kubesim
