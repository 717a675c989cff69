// Reading the store: label and field selectors, LIST with limit/continue,
// and what watches read (snapshots and events after a resourceVersion).
// Simplified: a continue token is the last key returned, so pages are not a
// consistent snapshot as the real server's (etcd's) are.
#include <algorithm>
#include <optional>
#include <sstream>

#include "tests/kube-sim/store.h"

namespace kubesim {

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits on commas outside parentheses.
std::vector<std::string> terms(const std::string& selector) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (const char c : selector) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.push_back(trim(cur));
  return out;
}

bool label_term(const Json& labels, const std::string& term) {
  auto value = [&](const std::string& key) -> std::optional<std::string> {
    if (!labels.is_object() || !labels.contains(key) || !labels[key].is_string()) return std::nullopt;
    return labels[key].get<std::string>();
  };
  for (const char* op : {" notin ", " in "}) {
    const auto at = term.find(op);
    if (at == std::string::npos) continue;
    const std::string key = trim(term.substr(0, at));
    std::string rest = trim(term.substr(at + std::string(op).size()));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
      throw ApiError(400, "BadRequest", "unable to parse requirement: " + term);
    bool found = false;
    const auto v = value(key);
    std::stringstream items(rest.substr(1, rest.size() - 2));
    for (std::string item; std::getline(items, item, ',');)
      if (v && trim(item) == *v) found = true;
    return std::string(op) == " in " ? found : !found;
  }
  if (term.rfind('!', 0) == 0) return !value(trim(term.substr(1)));
  if (const auto ne = term.find("!="); ne != std::string::npos) {
    const auto v = value(trim(term.substr(0, ne)));
    return !v || *v != trim(term.substr(ne + 2));
  }
  if (const auto eq = term.find('='); eq != std::string::npos) {
    const std::size_t skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
    const auto v = value(trim(term.substr(0, eq)));
    return v && *v == trim(term.substr(eq + skip));
  }
  if (term.find_first_of("()<> ") != std::string::npos)
    throw ApiError(400, "BadRequest", "unable to parse requirement: " + term);
  return value(term).has_value();
}

// The fields kube-apiserver lets Events be selected by, besides metadata
// (its event strategy): kubectl describe asks for involvedObject.name,
// .namespace, .kind and .uid; kubectl events --for for .kind, .apiVersion
// and .name. Absent fields read as "".
std::optional<std::string> event_field(const Json& ev, const std::string& key) {
  const auto text = [](const Json& j, const char* k) {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  static const std::string involved = "involvedObject.";
  if (key.rfind(involved, 0) == 0) {
    const std::string field = key.substr(involved.size());
    for (const char* f : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"})
      if (field == f) return text(ev.contains("involvedObject") ? ev["involvedObject"] : Json(), f);
    return std::nullopt;
  }
  if (key == "reason" || key == "type" || key == "reportingComponent") return text(ev, key.c_str());
  if (key == "source") return text(ev.contains("source") ? ev["source"] : Json(), "component");
  return std::nullopt;
}

bool field_term(const Json& obj, const std::string& term) {
  const auto ne = term.find("!=");
  const auto eq = term.find('=');
  if (eq == std::string::npos) throw ApiError(400, "BadRequest", "invalid field selector: " + term);
  const std::string key = trim(term.substr(0, ne != std::string::npos ? ne : eq));
  std::string want = trim(term.substr(ne != std::string::npos ? ne + 2 : term.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1));
  std::string have;
  if (key == "metadata.name") have = obj["metadata"].value("name", "");
  else if (key == "metadata.namespace") have = obj["metadata"].value("namespace", "");
  else if (const auto v = obj.value("kind", "") == "Event" ? event_field(obj, key) : std::nullopt) have = *v;
  else throw ApiError(400, "BadRequest", "field label not supported: " + key);
  return ne != std::string::npos ? have != want : have == want;
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

bool matches(const Json& obj, const Query& q) {
  const Json& md = obj["metadata"];
  if (!q.ns.empty() && md.value("namespace", "") != q.ns) return false;
  const Json labels = md.contains("labels") ? md["labels"] : Json::object();
  for (const auto& t : terms(q.label_selector))
    if (!label_term(labels, t)) return false;
  for (const auto& t : terms(q.field_selector))
    if (!field_term(obj, t)) return false;
  return true;
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
