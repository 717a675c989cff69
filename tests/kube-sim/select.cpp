// Reading the store: label and field selectors, LIST with limit/continue,
// and what watches read (snapshots and events after a resourceVersion).
// Simplified: a continue token is the last key returned, so pages are not a
// consistent snapshot as the real server's (etcd's) are.
#include <algorithm>
#include <optional>
#include <sstream>

#include "libkf/kube/client.h"
#include "libkf/kube/selector.h"
#include "tests/kube-sim/store.h"

namespace kubesim {

namespace {

// The field paths kube-apiserver accepts in a field selector: metadata.name
// and metadata.namespace for every kind, and for Events those of its event
// strategy (kubectl describe asks for involvedObject.name, .namespace, .kind
// and .uid; kubectl events --for for .kind, .apiVersion and .name).
bool field_label_supported(const Json& obj, const std::string& path) {
  if (path == "metadata.name" || path == "metadata.namespace") return true;
  if (obj.value("kind", "") != "Event") return false;
  static const std::string involved = "involvedObject.";
  if (path.rfind(involved, 0) == 0) {
    const std::string field = path.substr(involved.size());
    for (const char* f : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"})
      if (field == f) return true;
    return false;
  }
  return path == "reason" || path == "type" || path == "reportingComponent" || path == "source";
}

// Events' `source` field selector reads source.component.
std::string read_field(const Json& obj, const std::string& path) {
  return kf::kube::Selector::field_at(obj, path == "source" && obj.value("kind", "") == "Event" ? "source.component" : path);
}

std::string hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string unhex(const std::string& s) {
  if (s.size() % 2 != 0 || s.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw ApiError(400, "BadRequest", "continue key is not valid: " + s);
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) out += static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16));
  return out;
}

} // namespace

// Selectors are read by kf's own parser (libkf/kube/selector.h), with the
// API server's 400s; kube-sim adds the per-kind check of field paths.
bool matches(const Json& obj, const Query& q) {
  if (!q.ns.empty() && obj["metadata"].value("namespace", "") != q.ns) return false;
  kf::kube::Selector selector;
  try {
    selector = kf::kube::Selector::parse(q.label_selector, q.field_selector);
  } catch (const kf::kube::ApiError& e) {
    throw ApiError(e.code(), e.reason(), e.what());
  }
  for (const auto& path : selector.field_paths())
    if (!field_label_supported(obj, path)) throw ApiError(400, "BadRequest", "field label not supported: " + path);
  return selector.matches(obj, read_field);
}

Json Store::list(const ResourceType& t, const Query& q) const {
  const std::lock_guard lock(m_mu);
  Json items = Json::array();
  std::string next;
  std::size_t remaining = 0;
  const std::string after = q.continue_token.empty() ? "" : unhex(q.continue_token);
  const auto objs = m_objects.find(t.key());
  if (objs != m_objects.end()) {
    auto it = after.empty() ? objs->second.begin() : objs->second.upper_bound(after);
    for (; it != objs->second.end(); ++it) {
      if (!matches(it->second, q)) continue;
      if (q.limit > 0 && items.size() == q.limit) {
        if (next.empty()) next = hex(std::prev(it)->first);
        ++remaining;
        continue;
      }
      items.push_back(it->second);
    }
  }
  Json md = {{"resourceVersion", std::to_string(m_rv)}};
  if (!next.empty()) {
    md["continue"] = next;
    md["remainingItemCount"] = remaining;
  }
  return {{"kind", t.kind + "List"}, {"apiVersion", t.api_version()}, {"metadata", md}, {"items", items}};
}

std::vector<Json> Store::snapshot(const ResourceType& t, const Query& q, std::uint64_t* rv) const {
  const std::lock_guard lock(m_mu);
  std::vector<Json> out;
  const auto objs = m_objects.find(t.key());
  if (objs != m_objects.end())
    for (const auto& [key, obj] : objs->second)
      if (matches(obj, q)) out.push_back(obj);
  *rv = m_rv;
  return out;
}

std::vector<Event> Store::events_after(const ResourceType& t, std::uint64_t rv, std::chrono::milliseconds timeout,
                                       std::uint64_t* seen) const {
  std::unique_lock lock(m_mu);
  if (rv < m_compacted)
    throw ApiError(410, "Expired", "too old resource version: " + std::to_string(rv) + " (" + std::to_string(m_compacted + 1) + ")");
  m_cv.wait_for(lock, timeout, [&] { return m_stopping || m_rv > rv; });
  std::vector<Event> out;
  for (const auto& e : m_events)
    if (e.rv > rv && e.type_key == t.key()) out.push_back(e);
  *seen = std::max(rv, m_rv);
  return out;
}

} // namespace kubesim
