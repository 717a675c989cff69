#include "libkf/kube/watch_cache.h"

#include <algorithm>

namespace kf::kube {

namespace {

std::string key_of(const Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return "/";
  const Json& md = obj["metadata"];
  return md.value("namespace", "") + "/" + md.value("name", "");
}

// resourceVersions are opaque strings to clients; kube-sim's and etcd's are
// integers, and ordering by them only decides the order of a relist's events.
bool rv_less(const std::string& a, const std::string& b) {
  const bool numeric = !a.empty() && !b.empty() && a.find_first_not_of("0123456789") == std::string::npos &&
                       b.find_first_not_of("0123456789") == std::string::npos;
  if (numeric && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

} // namespace

bool LineSplitter::feed(std::string_view chunk, const std::function<bool(std::string_view)>& on_line) {
  while (!chunk.empty()) {
    const auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      m_partial.append(chunk);
      return true;
    }
    std::string line = std::move(m_partial);
    m_partial.clear();
    line.append(chunk.substr(0, nl));
    chunk.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (!on_line(line)) return false;
  }
  return true;
}

std::string resource_version_of(const Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return "";
  const Json& rv = obj["metadata"].value("resourceVersion", Json());
  return rv.is_string() ? rv.get<std::string>() : "";
}

void WatchCache::record(const WatchEvent& e) {
  const std::string rv = resource_version_of(e.object);
  if (!rv.empty() && (m_rv.empty() || rv_less(m_rv, rv))) m_rv = rv; // a relist's DELETED carries an old one
  if (e.type == "BOOKMARK") return;
  if (e.type == "DELETED") m_objects.erase(key_of(e.object));
  else m_objects[key_of(e.object)] = e.object;
}

bool WatchCache::seen(const WatchEvent& e) const {
  if (e.type != "ADDED" && e.type != "MODIFIED") return false;
  const auto it = m_objects.find(key_of(e.object));
  if (it == m_objects.end()) return false;
  const std::string have = resource_version_of(it->second), got = resource_version_of(e.object);
  return !got.empty() && !rv_less(have, got);
}

std::vector<WatchEvent> WatchCache::diff(const std::vector<Json>& items) const {
  std::map<std::string, const Json*> now;
  for (const auto& obj : items) now[key_of(obj)] = &obj;
  std::vector<WatchEvent> deleted, changed;
  for (const auto& [key, obj] : m_objects)
    if (!now.count(key)) deleted.push_back({"DELETED", obj});
  for (const auto& [key, obj] : now) {
    const auto it = m_objects.find(key);
    if (it == m_objects.end()) changed.push_back({"ADDED", *obj});
    else if (resource_version_of(it->second) != resource_version_of(*obj)) changed.push_back({"MODIFIED", *obj});
  }
  std::stable_sort(changed.begin(), changed.end(), [](const WatchEvent& a, const WatchEvent& b) {
    return rv_less(resource_version_of(a.object), resource_version_of(b.object));
  });
  deleted.insert(deleted.end(), changed.begin(), changed.end());
  return deleted;
}

} // namespace kf::kube
