// Server-side printing (tables.h): column sets, the JSONPath subset of
// printer columns, and kube-apiserver's human-readable ages.
#include "tests/kube-sim/tables.h"
#include "libkf/util/strings.h"

#include <cstdio>
#include <ctime>
#include <functional>

#include "libkf/util/clock.h"
#include "libkf/util/json_field.h"

namespace kubesim {

namespace {

using kf::json_field;
using kf::json_text;

struct Column {
  std::string name, type, format, description;
  int priority = 0;
  std::function<Json(const Json&)> cell;
};

Column name_column() {
  return {"Name", "string", "name", "Name must be unique within a namespace.", 0,
          [](const Json& o) { return Json(json_text(json_field(o, "metadata"), "name")); }};
}

Column age_column() {
  return {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0,
          [](const Json& o) { return Json(human_age(json_text(json_field(o, "metadata"), "creationTimestamp"))); }};
}

Column text_column(const std::string& name, std::function<std::string(const Json&)> f, int priority = 0) {
  return {name, "string", "", "", priority, [f = std::move(f)](const Json& o) { return Json(f(o)); }};
}

Column integer_column(const std::string& name, std::function<long(const Json&)> f, int priority = 0) {
  return {name, "integer", "", "", priority, [f = std::move(f)](const Json& o) { return Json(f(o)); }};
}

long int_at(const Json& obj, const std::string& path) {
  const auto r = json_path(obj, path);
  return !r.empty() && r[0].is_number() ? r[0].get<long>() : 0;
}

std::string text_or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

// kubectl's pod STATUS: the phase, unless a container says more (waiting:
// ContainerCreating, CrashLoopBackOff; terminated: Completed, Error).
std::string pod_status(const Json& pod) {
  const Json& status = json_field(pod, "status");
  std::string reason = json_text(status, "reason");
  if (reason.empty()) reason = json_text(status, "phase");
  if (reason.empty()) reason = "Pending"; // (a real server sets the phase on create)
  for (const auto& cs : json_field(status, "containerStatuses").is_array() ? json_field(status, "containerStatuses") : Json::array()) {
    const Json& state = json_field(cs, "state");
    if (const std::string w = json_text(json_field(state, "waiting"), "reason"); !w.empty()) reason = w;
    else if (const std::string t = json_text(json_field(state, "terminated"), "reason"); !t.empty()) reason = t;
  }
  if (!json_text(json_field(pod, "metadata"), "deletionTimestamp").empty()) reason = "Terminating";
  return reason;
}

std::vector<Column> pod_columns() {
  return {name_column(),
          text_column("Ready", [](const Json& p) {
            long ready = 0;
            for (const auto& cs : json_path(p, ".status.containerStatuses[*].ready")) ready += cs == true ? 1 : 0;
            return std::to_string(ready) + "/" + std::to_string(json_path(p, ".spec.containers[*].name").size());
          }),
          text_column("Status", pod_status),
          text_column("Restarts", [](const Json& p) {
            long restarts = 0;
            std::string last;
            for (const auto& cs : json_path(p, ".status.containerStatuses[*]")) {
              restarts += cs.value("restartCount", 0L);
              const std::string at = json_text(json_field(json_field(cs, "lastState"), "terminated"), "finishedAt");
              if (!at.empty() && at > last) last = at;
            }
            return std::to_string(restarts) + (restarts > 0 && !last.empty() ? " (" + human_age(last) + " ago)" : "");
          }),
          age_column(),
          text_column("IP", [](const Json& p) { return text_or_none(json_text(json_field(p, "status"), "podIP")); }, 1),
          text_column("Node", [](const Json& p) { return text_or_none(json_text(json_field(p, "spec"), "nodeName")); }, 1),
          text_column("Nominated Node", [](const Json&) { return std::string("<none>"); }, 1),
          text_column("Readiness Gates", [](const Json&) { return std::string("<none>"); }, 1)};
}

std::string event_time(const Json& e, const char* field) {
  std::string t = json_text(e, field);
  if (t.empty()) t = json_text(e, "eventTime");
  return human_age(t);
}

std::vector<Column> event_columns() {
  return {text_column("Last Seen", [](const Json& e) { return event_time(e, "lastTimestamp"); }),
          text_column("Type", [](const Json& e) { return json_text(e, "type"); }),
          text_column("Reason", [](const Json& e) { return json_text(e, "reason"); }),
          text_column("Object", [](const Json& e) {
            const Json& io = json_field(e, "involvedObject");
            return kf::str::lower(json_text(io, "kind")) + "/" + json_text(io, "name");
          }),
          text_column("Subobject", [](const Json& e) { return json_text(json_field(e, "involvedObject"), "fieldPath"); }, 1),
          text_column("Source", [](const Json& e) {
            const Json& s = json_field(e, "source");
            std::string out = json_text(s, "component");
            if (out.empty()) out = json_text(e, "reportingComponent");
            const std::string host = json_text(s, "host");
            return host.empty() ? out : out + ", " + host;
          }, 1),
          text_column("Message", [](const Json& e) { return json_text(e, "message"); }),
          text_column("First Seen", [](const Json& e) { return event_time(e, "firstTimestamp"); }, 1),
          integer_column("Count", [](const Json& e) { return e.value("count", 1L); }, 1),
          text_column("Name", [](const Json& e) { return json_text(json_field(e, "metadata"), "name"); }, 1)};
}

long entries(const Json& obj, const char* field) { return json_field(obj, field).is_object() ? static_cast<long>(json_field(obj, field).size()) : 0; }

std::vector<Column> builtin_columns(const ResourceType& t) {
  if (t.group.empty() && t.kind == "Pod") return pod_columns();
  if (t.group.empty() && t.kind == "Event") return event_columns();
  if (t.group.empty() && t.kind == "Namespace")
    return {name_column(), text_column("Status", [](const Json& n) {
              const std::string phase = json_text(json_field(n, "status"), "phase");
              return phase.empty() ? std::string("Active") : phase;
            }), age_column()};
  if (t.group.empty() && t.kind == "ConfigMap")
    return {name_column(), integer_column("Data", [](const Json& c) { return entries(c, "data") + entries(c, "binaryData"); }), age_column()};
  if (t.group.empty() && t.kind == "Secret")
    return {name_column(), text_column("Type", [](const Json& s) { return json_text(s, "type"); }),
            integer_column("Data", [](const Json& s) { return entries(s, "data"); }), age_column()};
  if (t.group.empty() && t.kind == "ServiceAccount")
    return {name_column(), integer_column("Secrets", [](const Json& s) {
              return json_field(s, "secrets").is_array() ? static_cast<long>(json_field(s, "secrets").size()) : 0L;
            }), age_column()};
  if (t.group.empty() && t.kind == "Service")
    return {name_column(), text_column("Type", [](const Json& s) {
              const std::string type = json_text(json_field(s, "spec"), "type");
              return type.empty() ? std::string("ClusterIP") : type;
            }),
            text_column("Cluster-IP", [](const Json& s) { return text_or_none(json_text(json_field(s, "spec"), "clusterIP")); }),
            text_column("External-IP", [](const Json&) { return std::string("<none>"); }),
            text_column("Port(s)", [](const Json& s) {
              std::string out;
              for (const auto& p : json_path(s, ".spec.ports[*]"))
                out += (out.empty() ? "" : ",") + std::to_string(p.value("port", 0)) + "/" + p.value("protocol", std::string("TCP"));
              return text_or_none(out);
            }),
            age_column()};
  if (t.group == "apps" && t.kind == "Deployment")
    return {name_column(),
            text_column("Ready", [](const Json& d) {
              return std::to_string(int_at(d, ".status.readyReplicas")) + "/" + std::to_string(int_at(d, ".spec.replicas"));
            }),
            integer_column("Up-to-date", [](const Json& d) { return int_at(d, ".status.updatedReplicas"); }),
            integer_column("Available", [](const Json& d) { return int_at(d, ".status.availableReplicas"); }), age_column()};
  // kube-apiserver's default table (CustomResourceDefinition among others).
  return {name_column(),
          {"Created At", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0,
           [](const Json& o) { return Json(json_text(json_field(o, "metadata"), "creationTimestamp")); }}};
}

// A CRD's columns: Name, then its additionalPrinterColumns (or Age).
std::vector<Column> crd_columns(const Store& store, const ResourceType& t) {
  std::vector<Column> out{name_column()};
  const auto crd_type = store.find_type("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  const auto crd = crd_type ? store.get(*crd_type, "", t.crd) : std::nullopt;
  Json printer = Json::array();
  if (crd)
    for (const auto& v : json_field(json_field(*crd, "spec"), "versions"))
      if (json_text(v, "name") == t.version && json_field(v, "additionalPrinterColumns").is_array())
        printer = json_field(v, "additionalPrinterColumns");
  if (printer.empty()) {
    out.push_back(age_column());
    return out;
  }
  for (const auto& c : printer) {
    const std::string type = json_text(c, "type"), path = json_text(c, "jsonPath");
    out.push_back({json_text(c, "name"), type == "date" ? "date" : type, json_text(c, "format"), json_text(c, "description"),
                   c.value("priority", 0), [type, path](const Json& o) -> Json {
                     const auto results = json_path(o, path);
                     if (results.empty()) return nullptr;
                     if (results.size() == 1) {
                       if (type == "date" && results[0].is_string()) return human_age(results[0].get<std::string>());
                       return results[0];
                     }
                     std::string joined; // several results print as JSONPath prints them
                     for (const auto& r : results) joined += (joined.empty() ? "" : " ") + (r.is_string() ? r.get<std::string>() : r.dump());
                     return joined;
                   }});
  }
  return out;
}

// One JSONPath step applied to every current value.
void step(std::vector<Json>& values, const std::string& path, std::size_t& i) {
  std::vector<Json> next;
  if (path[i] == '.') {
    const std::size_t end = path.find_first_of(".[", i + 1);
    const std::string field = path.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
    i = end == std::string::npos ? path.size() : end;
    for (const auto& v : values)
      if (v.is_object() && v.contains(field)) next.push_back(v[field]);
  } else { // [ ... ]
    const std::size_t close = path.find(']', i);
    if (close == std::string::npos) throw std::invalid_argument("unterminated [ in " + path);
    const std::string inner = path.substr(i + 1, close - i - 1);
    i = close + 1;
    for (const auto& v : values) {
      if (!v.is_array()) continue;
      const auto n = static_cast<long>(v.size());
      if (inner == "*") {
        next.insert(next.end(), v.begin(), v.end());
      } else if (inner.rfind("?(@.", 0) == 0 && inner.back() == ')') {
        const std::string cond = inner.substr(4, inner.size() - 5);
        const auto eq = cond.find("==");
        if (eq == std::string::npos) throw std::invalid_argument("unsupported filter " + inner);
        const std::string field = cond.substr(0, eq);
        std::string want = cond.substr(eq + 2);
        Json literal = (want.size() >= 2 && (want[0] == '\'' || want[0] == '"')) ? Json(want.substr(1, want.size() - 2))
                                                                               : kf::json::parse_or_discarded(want);
        for (const auto& item : v) {
          const auto got = json_path(item, "." + field);
          if (!got.empty() && got[0] == literal) next.push_back(item);
        }
      } else if (const auto colon = inner.find(':'); colon != std::string::npos) {
        long from = colon == 0 ? 0 : std::stol(inner.substr(0, colon));
        if (from < 0) from += n;
        for (long k = std::max(0L, from); k < n; ++k) next.push_back(v[static_cast<std::size_t>(k)]);
      } else {
        long k = std::stol(inner);
        if (k < 0) k += n;
        if (k >= 0 && k < n) next.push_back(v[static_cast<std::size_t>(k)]);
      }
    }
  }
  values = std::move(next);
}

} // namespace

std::vector<Json> json_path(const Json& obj, const std::string& path) {
  std::vector<Json> values{obj};
  std::size_t i = path.rfind("{", 0) == 0 ? 1 : 0; // "{.a.b}" as kubectl writes it, or ".a.b"
  const std::string p = i == 1 && path.back() == '}' ? path.substr(1, path.size() - 2) : path;
  i = 0;
  try {
    while (i < p.size() && !values.empty()) step(values, p, i);
  } catch (const std::exception&) {
    return {};
  }
  return values;
}

std::string human_age(const std::string& rfc3339) {
  const auto t = kf::parse_rfc3339(rfc3339);
  if (!t) return "<unknown>";
  const long long s = static_cast<long long>(std::time(nullptr)) - *t;
  char buf[32];
  const long long m = s / 60, h = s / 3600, d = h / 24;
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) std::snprintf(buf, sizeof buf, "%llds", s);
  else if (m < 10) s % 60 == 0 ? std::snprintf(buf, sizeof buf, "%lldm", m) : std::snprintf(buf, sizeof buf, "%lldm%llds", m, s % 60);
  else if (m < 180) std::snprintf(buf, sizeof buf, "%lldm", m);
  else if (h < 8) m % 60 == 0 ? std::snprintf(buf, sizeof buf, "%lldh", h) : std::snprintf(buf, sizeof buf, "%lldh%lldm", h, m % 60);
  else if (h < 48) std::snprintf(buf, sizeof buf, "%lldh", h);
  else if (h < 24 * 8) h % 24 == 0 ? std::snprintf(buf, sizeof buf, "%lldd", d) : std::snprintf(buf, sizeof buf, "%lldd%lldh", d, h % 24);
  else if (h < 24 * 365 * 2) std::snprintf(buf, sizeof buf, "%lldd", d);
  else if (h < 24 * 365 * 8) d % 365 == 0 ? std::snprintf(buf, sizeof buf, "%lldy", d / 365) : std::snprintf(buf, sizeof buf, "%lldy%lldd", d / 365, d % 365);
  else std::snprintf(buf, sizeof buf, "%lldy", d / 365);
  return buf;
}

bool wants_table(const httplib::Request& req) {
  const std::string accept = req.get_header_value("Accept");
  return accept.find("as=Table;v=v1;g=meta.k8s.io") != std::string::npos;
}

Json to_table(const Store& store, const ResourceType& t, const std::vector<Json>& objects, const std::string& include_object,
              const Json& list_metadata) {
  const std::vector<Column> columns = t.crd.empty() ? builtin_columns(t) : crd_columns(store, t);
  Json defs = Json::array();
  for (const auto& c : columns)
    defs.push_back({{"name", c.name}, {"type", c.type}, {"format", c.format}, {"description", c.description}, {"priority", c.priority}});
  Json rows = Json::array();
  for (const auto& obj : objects) {
    Json cells = Json::array();
    for (const auto& c : columns) cells.push_back(c.cell(obj));
    Json row = {{"cells", cells}};
    if (include_object == "Object") row["object"] = obj;
    else if (include_object != "None")
      row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", json_field(obj, "metadata")}};
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", list_metadata.is_object() ? list_metadata : Json::object()},
          {"columnDefinitions", defs}, {"rows", rows}};
}

} // namespace kubesim
