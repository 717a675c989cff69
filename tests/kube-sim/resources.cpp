// Object verbs: GET, LIST, POST, PUT, PATCH (apply, merge, strategic merge),
// DELETE and DELETE of a collection, with dryRun=All, resourceVersion
// preconditions and the status subresource.
#include <atomic>

#include "libkf/util/error.h"
#include "libkf/util/yaml.h"
#include "tests/kube-sim/apply.h"
#include "tests/kube-sim/handlers.h"
#include "tests/kube-sim/server.h"
#include "tests/kube-sim/tables.h"

namespace kubesim {

namespace {

Json parse_body(const httplib::Request& req) {
  if (req.get_header_value("Content-Type").find("protobuf") != std::string::npos)
    throw ApiError(415, "UnsupportedMediaType", "kube-sim does not speak protobuf; send JSON (application/json)");
  if (req.body.empty()) throw ApiError(400, "BadRequest", "the request body is empty");
  try {
    return kf::json::parse(req.body);
  } catch (const Json::parse_error&) {
  }
  try { // apply patches may be YAML
    return kf::yaml::to_json(kf::yaml::parse(req.body, "body"));
  } catch (const kf::Error& e) {
    throw ApiError(400, "BadRequest", std::string("the request body is neither JSON nor YAML: ") + e.what());
  }
}

void check_identity(const Call& c, const Json& body, const std::string& name) {
  if (!body.is_object()) throw ApiError(400, "BadRequest", "the request body is not an object");
  const std::string api_version = body.value("apiVersion", "");
  const std::string kind = body.value("kind", "");
  if ((!api_version.empty() && api_version != c.type.api_version()) || (!kind.empty() && kind != c.type.kind))
    throw ApiError(400, "BadRequest", "the API version in the data (" + api_version + ") and kind (" + kind +
                                          ") do not match the URL (" + c.type.api_version() + ", " + c.type.kind + ")");
  const Json md = body.contains("metadata") && body["metadata"].is_object() ? body["metadata"] : Json::object();
  const std::string body_name = md.value("name", "");
  if (!body_name.empty() && body_name != name)
    throw ApiError(400, "BadRequest", "the name of the object (" + body_name + ") does not match the name on the URL (" + name + ")");
  const std::string body_ns = md.value("namespace", "");
  if (c.type.namespaced && !body_ns.empty() && body_ns != c.ns)
    throw ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
}

ApiError rv_conflict(const Call& c) {
  return ApiError(409, "Conflict", "Operation cannot be fulfilled on " + c.type.qualified() + " \"" + c.name +
                                       "\": the object has been modified; please apply your changes to the latest version and try again");
}

void check_rv(const Call& c, const Json& body, const Json& current) {
  const Json md = body.contains("metadata") && body["metadata"].is_object() ? body["metadata"] : Json::object();
  const std::string want = md.value("resourceVersion", "");
  if (!want.empty() && want != current["metadata"].value("resourceVersion", "")) throw rv_conflict(c);
}

// The status subresource: writes to the object keep its status; writes to
// /status change nothing else.
Json split_status(const Call& c, Json next, const Json* current) {
  if (!c.type.status_subresource || c.type.kind == "Namespace") return next;
  if (c.sub == "status") {
    Json out = *current;
    if (next.contains("status")) out["status"] = next["status"];
    else out.erase("status");
    return out;
  }
  if (current && current->contains("status")) next["status"] = (*current)["status"];
  else next.erase("status");
  return next;
}

std::string manager_of(const httplib::Request& req, const char* fallback) {
  const std::string m = param(req, "fieldManager");
  return m.empty() ? fallback : m;
}

// RFC 6902 (kubectl patch --type=json, Python's client for a list body).
Json apply_json_patch(const Json& current, const Json& ops) {
  try {
    return current.patch(ops);
  } catch (const Json::exception& e) {
    throw ApiError(422, "Invalid", std::string("the JSON patch cannot be applied: ") + e.what());
  }
}

void not_found(const Call& c, const std::string& name) {
  throw ApiError(404, "NotFound", c.type.qualified() + " \"" + name + "\" not found",
                 {{"name", name}, {"group", c.type.group}, {"kind", c.type.resource}});
}

} // namespace

Query query_of(const httplib::Request& req, const std::string& ns) {
  Query q;
  q.ns = ns;
  q.label_selector = param(req, "labelSelector");
  q.field_selector = param(req, "fieldSelector");
  q.continue_token = param(req, "continue");
  const std::string limit = param(req, "limit");
  if (!limit.empty()) {
    if (limit.find_first_not_of("0123456789") != std::string::npos)
      throw ApiError(400, "BadRequest", "limit: invalid value \"" + limit + "\"");
    q.limit = std::stoul(limit);
  }
  return q;
}

std::string param(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : "";
}

bool flag(const httplib::Request& req, const char* key) {
  const std::string v = param(req, key);
  return v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True";
}

void serve_resource(Store& store, Call& c) {
  const auto& req = c.req;
  const bool dry_run = param(req, "dryRun") == "All";
  if (!param(req, "dryRun").empty() && !dry_run)
    throw ApiError(400, "BadRequest", "dryRun: Unsupported value: \"" + param(req, "dryRun") + "\": supported values: \"All\"");
  const std::string& m = req.method;
  if (c.sub == "log" && c.type.kind == "Pod" && c.type.group.empty() && !c.name.empty()) return serve_pod_log(store, c);

  if (m == "GET" && c.name.empty()) {
    const Query q = query_of(req, c.ns);
    if (flag(req, "watch")) return serve_watch(store, c, q);
    Json list = store.list(c.type, q);
    if (wants_table(req))
      return send_json(c.res, 200, to_table(store, c.type, list["items"].get<std::vector<Json>>(), param(req, "includeObject"),
                                            list["metadata"]));
    return send_json(c.res, 200, list);
  }
  if (m == "GET") {
    const auto obj = store.get(c.type, c.ns, c.name);
    if (!obj) not_found(c, c.name);
    if (wants_table(req))
      return send_json(c.res, 200, to_table(store, c.type, {*obj}, param(req, "includeObject"),
                                            {{"resourceVersion", (*obj)["metadata"].value("resourceVersion", "")}}));
    return send_json(c.res, 200, *obj);
  }
  if (m == "DELETE" && c.name.empty()) { // deletecollection
    const Query q = query_of(req, c.ns);
    Json items = store.list(c.type, q)["items"];
    for (const auto& obj : items)
      store.write(c.type, obj["metadata"].value("namespace", ""), obj["metadata"].value("name", ""),
                  [](const Json*) { return std::optional<Json>(); }, dry_run);
    Json list = {{"kind", c.type.kind + "List"}, {"apiVersion", c.type.api_version()}, {"metadata", Json::object()}, {"items", items}};
    return send_json(c.res, 200, list);
  }
  if (m == "DELETE") {
    auto r = store.write(c.type, c.ns, c.name, [](const Json*) { return std::optional<Json>(); }, dry_run);
    return send_json(c.res, 200, r.object);
  }
  if (m == "POST") {
    if (!c.name.empty()) throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    Json body = parse_body(req);
    std::string name = body.contains("metadata") && body["metadata"].is_object() ? body["metadata"].value("name", "") : "";
    if (name.empty() && body.contains("metadata") && body["metadata"].contains("generateName")) {
      static std::atomic<unsigned> counter{0};
      static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
      unsigned n = 7919u * ++counter;
      name = body["metadata"].value("generateName", "");
      for (int i = 0; i < 5; ++i, n /= 27) name += alphabet[n % 27];
      body["metadata"]["name"] = name;
    }
    check_identity(c, body, name);
    const std::string manager = manager_of(req, "unknown");
    auto r = store.write(c.type, c.ns, name, [&](const Json* current) -> std::optional<Json> {
      if (current)
        throw ApiError(409, "AlreadyExists", c.type.qualified() + " \"" + name + "\" already exists",
                       {{"name", name}, {"group", c.type.group}, {"kind", c.type.resource}});
      Json next = split_status(c, body, nullptr);
      track_update(nullptr, next, manager);
      return next;
    }, dry_run);
    return send_json(c.res, 201, r.object);
  }
  if (c.name.empty()) throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");

  Json body = parse_body(req);
  const std::string content_type = req.get_header_value("Content-Type");
  const bool json_patch = m == "PATCH" && content_type.rfind("application/json-patch+json", 0) == 0;
  if (json_patch && !body.is_array())
    throw ApiError(400, "BadRequest", "a JSON patch (application/json-patch+json) is an array of operations");
  const bool apply = m == "PATCH" && content_type.rfind("application/apply-patch+yaml", 0) == 0;
  if (apply || m == "PUT") check_identity(c, body, c.name);
  if (apply && param(req, "fieldManager").empty())
    throw ApiError(422, "Invalid", "PATCH " + c.type.qualified() + " \"" + c.name + "\" is invalid: fieldManager: Required value: is required for apply patch");
  const std::string manager = manager_of(req, "unknown");
  auto r = store.write(c.type, c.ns, c.name, [&](const Json* current) -> std::optional<Json> {
    if (apply) {
      if (!current && !c.sub.empty()) not_found(c, c.name);
      Json applied = body;
      if (c.type.status_subresource && c.sub.empty()) applied.erase("status");
      Json next = server_side_apply(current, applied, manager, flag(req, "force"));
      return split_status(c, next, current);
    }
    if (!current) not_found(c, c.name);
    Json next = m == "PUT" ? body : json_patch ? apply_json_patch(*current, body) : merge_patch(*current, body);
    check_rv(c, json_patch ? next : body, *current);
    if (next.contains("metadata") && next["metadata"].is_object()) next["metadata"].erase("resourceVersion");
    if (m == "PUT" && current->contains("metadata") && (*current)["metadata"].contains("managedFields"))
      next["metadata"]["managedFields"] = (*current)["metadata"]["managedFields"];
    next = split_status(c, next, current);
    track_update(current, next, manager);
    return next;
  }, dry_run);
  send_json(c.res, r.created ? 201 : 200, r.object);
}

} // namespace kubesim
