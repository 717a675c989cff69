#include "libkf/kube/rest_client.h"

#include <fmt/format.h>

#include <thread>

#include "libkf/kube/redact.h"
#include "libkf/kube/rest_impl.h"
#include "libkf/util/strings.h"

namespace kf::kube {

std::string escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool retryable(long code) { return code == 429 || code == 500 || code == 502 || code == 503 || code == 504; }

namespace {

std::string gv_path(std::string_view api_version) {
  return api_version.find('/') == std::string_view::npos ? "/api/" + std::string(api_version)
                                                         : "/apis/" + std::string(api_version);
}

std::string reason_of(const std::string& body) {
  try {
    const Json st = json::parse(body);
    return st.is_object() ? st.value("reason", "") : "";
  } catch (const Json::exception&) {
    return "";
  }
}

std::optional<ResourceInfo> find_kind(const std::vector<ResourceInfo>& resources, std::string_view kind) {
  for (const auto& r : resources)
    if (r.kind == kind) return r;
  return std::nullopt;
}

} // namespace

RestClient::RestClient(const ClusterConfig& config, RestOptions options)
    : m_http(config), m_options(std::move(options)), m_bucket(m_options.qps, m_options.burst),
      m_in_flight(m_options.max_in_flight), m_disk(m_options.cache_dir, config.server, m_options.cache_ttl) {}

std::optional<ResourceInfo> RestClient::resource(std::string_view api_version, std::string_view kind) {
  const std::string gv(api_version);
  {
    const std::lock_guard lock(m_mu);
    const auto it = m_discovery.find(gv);
    if (it != m_discovery.end()) {
      if (auto r = find_kind(it->second, kind)) return r;
    } else if (auto cached = m_disk.load(gv)) {
      auto r = find_kind(*cached, kind);
      m_discovery[gv] = std::move(*cached);
      if (r) return r;
    }
  }
  discover(gv); // a miss: the kind may have just been added (a CRD)
  const std::lock_guard lock(m_mu);
  return find_kind(m_discovery[gv], kind);
}

Json RestClient::apply(const Json& obj, const ApplyOptions& o) {
  const ObjectRef ref = ObjectRef::of(obj);
  std::string target = path(ref);
  if (!o.subresource.empty()) target += "/" + escape(o.subresource);
  target += "?fieldManager=" + escape(o.field_manager);
  if (o.force) target += "&force=true";
  if (o.dry_run) target += "&dryRun=All";
  return json::parse(checked(call({"PATCH", target, obj.dump(), "application/apply-patch+yaml"})).body);
}

Json RestClient::create(const Json& obj, const CreateOptions& o) {
  std::string target = collection_of(ObjectRef::of(obj)) + "?fieldManager=" + escape(o.field_manager);
  if (o.dry_run) target += "&dryRun=All";
  const auto res = call({"POST", target, obj.dump(), "application/json"});
  if (res.status == 409 && reason_of(res.body) == "AlreadyExists")
    throw AlreadyExists(status_message(res.body, res.status));
  return json::parse(checked(res).body);
}

std::optional<Json> RestClient::get(const ObjectRef& ref) {
  const auto res = call({"GET", path(ref), "", ""});
  if (res.status == 404) return std::nullopt;
  return json::parse(checked(res).body);
}

std::vector<Json> RestClient::list(std::string_view api_version, std::string_view kind, const ListOptions& o) {
  std::string selectors;
  if (!o.label_selector.empty()) selectors += "&labelSelector=" + escape(o.label_selector);
  if (!o.field_selector.empty()) selectors += "&fieldSelector=" + escape(o.field_selector);
  std::string rv;
  const ResourceInfo r = need(api_version, kind);
  return list_all(r, collection(api_version, r, o.namespace_), selectors, o.page_size, &rv);
}

std::vector<Json> RestClient::list_all(const ResourceInfo& r, const std::string& collection, const std::string& selectors,
                                       std::size_t page_size, std::string* rv) {
  const std::string base = collection + "?limit=" + std::to_string(page_size) + selectors;
  const std::string api_version = r.group.empty() ? r.version : r.group + "/" + r.version;
  std::vector<Json> out;
  std::string next;
  rv->clear();
  do {
    const Json page = json::parse(checked(call({"GET", next.empty() ? base : base + "&continue=" + escape(next), "", ""})).body);
    for (const auto& item : page.value("items", Json::array())) {
      if (item.contains("apiVersion") && item.contains("kind")) {
        out.push_back(item);
        continue;
      }
      Json typed = {{"apiVersion", api_version}, {"kind", r.kind}}; // first, as kubectl prints them
      for (const auto& [k, v] : item.items()) typed[k] = v;
      out.push_back(std::move(typed));
    }
    const Json md = page.value("metadata", Json::object());
    next = md.value("continue", "");
    if (rv->empty()) *rv = md.value("resourceVersion", ""); // the first page's: the snapshot the pages belong to
  } while (!next.empty());
  return out;
}

bool RestClient::remove(const ObjectRef& ref, const DeleteOptions& o) {
  std::string target = path(ref);
  if (o.dry_run) target += "?dryRun=All";
  const Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", o.propagation}};
  const auto res = call({"DELETE", target, body.dump(), "application/json"});
  if (res.status == 404) return false;
  checked(res);
  return true;
}

ResourceInfo RestClient::need(std::string_view api_version, std::string_view kind) {
  auto r = resource(api_version, kind);
  if (!r)
    throw Error("the server " + redacted(server()) + " does not serve kind " + str::quote(kind) + " in version " +
                str::quote(api_version) + " (is its CRD installed?)");
  return *r;
}

std::string RestClient::collection(std::string_view api_version, const ResourceInfo& r, const std::string& namespace_) {
  return gv_path(api_version) + (r.namespaced && !namespace_.empty() ? "/namespaces/" + escape(namespace_) : "") + "/" +
         r.resource;
}

std::string RestClient::collection_of(const ObjectRef& ref) {
  const ResourceInfo r = need(ref.api_version, ref.kind);
  if (r.namespaced && ref.namespace_.empty()) throw Error(r.kind + " " + str::quote(ref.name) + " needs a namespace");
  return collection(ref.api_version, r, ref.namespace_);
}

std::string RestClient::path(const ObjectRef& ref) { return collection_of(ref) + "/" + escape(ref.name); }

void RestClient::discover(const std::string& gv) {
  const auto res = call({"GET", gv_path(gv), "", ""});
  std::vector<ResourceInfo> found;
  if (res.status != 404) {
    const Json doc = json::parse(checked(res).body);
    const auto slash = gv.find('/');
    for (const auto& r : doc.value("resources", Json::array())) {
      const std::string name = r.value("name", "");
      if (name.empty() || name.find('/') != std::string::npos) continue; // subresources
      found.push_back(ResourceInfo{slash == std::string::npos ? "" : gv.substr(0, slash),
                                   slash == std::string::npos ? gv : gv.substr(slash + 1), name, r.value("kind", ""),
                                   r.value("namespaced", true)});
    }
    try {
      m_disk.store(gv, found);
    } catch (const Error& e) {
      debug(std::string("discovery cache not written: ") + e.what());
    }
  }
  const std::lock_guard lock(m_mu);
  m_discovery[gv] = std::move(found);
}

const HttpResponse& RestClient::checked(const HttpResponse& res) {
  if (res.status >= 200 && res.status < 300) return res;
  if (res.status == 401)
    throw ApiError(401, reason_of(res.body), redacted(server()) + " refused kf's credentials (" +
                                                 status_message(res.body, res.status) +
                                                 "); check the user of the kubeconfig context");
  throw ApiError(static_cast<int>(res.status), reason_of(res.body), status_message(res.body, res.status));
}

std::string RestClient::redacted(const std::string& text) { return redact(text, m_http.secrets()); }

void RestClient::debug(const std::string& line) {
  if (m_options.debug) m_options.debug(redacted(line));
}

std::chrono::milliseconds RestClient::backoff(int attempt, const std::string& retry_after) const {
  auto wait = std::min(m_options.backoff_max, m_options.backoff_base * (1 << std::min(attempt, 16)));
  if (!retry_after.empty() && retry_after.size() < 10 && retry_after.find_first_not_of("0123456789") == std::string::npos) {
    const auto asked = std::chrono::seconds(std::min<long long>(std::stoll(retry_after), m_options.max_retry_after.count()));
    wait = std::max(wait, std::chrono::duration_cast<std::chrono::milliseconds>(asked));
  }
  return wait;
}

Error RestClient::unreachable(const std::string& why) { return Error(redacted("cannot reach " + server() + ": " + why)); }

void RestClient::after_transport_error(const TransportError& e, int attempt, const std::string& what) {
  if (e.permanent()) throw unreachable(e.what());
  if (attempt >= m_options.max_retries)
    throw unreachable(std::string(e.what()) + " (" + std::to_string(attempt + 1) + " attempts)");
  const auto wait = backoff(attempt, "");
  debug(what + ": " + e.what() + "; retrying in " + std::to_string(wait.count()) + "ms");
  std::this_thread::sleep_for(wait);
}

HttpResponse RestClient::call(HttpRequest req) {
  bool refreshed = false;
  for (int attempt = 0;; ++attempt) {
    const auto throttled = m_bucket.wait();
    if (throttled >= std::chrono::seconds(1))
      debug(fmt::format("waited {}ms for client-side throttling (qps {}, burst {}): {} {}",
                        std::chrono::duration_cast<std::chrono::milliseconds>(throttled).count(), m_options.qps,
                        m_options.burst, req.method, req.target));
    HttpResponse res;
    try {
      const InFlightLimit::Slot slot(m_in_flight);
      res = m_http.perform(req);
    } catch (const TransportError& e) {
      after_transport_error(e, attempt, req.method + " " + req.target);
      continue;
    }
    if (res.status == 401 && !refreshed) {
      refreshed = true;
      m_http.refresh_credentials();
      continue;
    }
    if (!retryable(res.status) || attempt >= m_options.max_retries) return res;
    const auto wait = backoff(attempt, res.retry_after);
    debug(req.method + " " + req.target + ": HTTP " + std::to_string(res.status) + "; retrying in " +
          std::to_string(wait.count()) + "ms");
    std::this_thread::sleep_for(wait);
  }
}

std::string Client::pod_proxy_get(const std::string& /*namespace_*/, const std::string& pod, int /*port*/, const std::string& /*path*/) {
  throw ApiError(501, "NotImplemented", "this client cannot reach pod " + str::quote(pod));
}

std::string ResourceInfo::display() const {
  std::string s;
  for (const char c : kind) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return group.empty() ? s : s + "." + group;
}

ObjectRef ObjectRef::of(const Json& obj) {
  ObjectRef r;
  r.api_version = obj.value("apiVersion", "");
  r.kind = obj.value("kind", "");
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    r.namespace_ = obj["metadata"].value("namespace", "");
    r.name = obj["metadata"].value("name", "");
  }
  return r;
}

std::string status_message(const std::string& body, long code) {
  Json st;
  try {
    st = json::parse(body);
  } catch (const Json::exception&) {
  }
  if (!st.is_object() || st.value("kind", "") != "Status") {
    std::string text = str::trim(body.substr(0, 200));
    return "the server answered HTTP " + std::to_string(code) + (text.empty() ? "" : ": " + text);
  }
  const Json details = st.contains("details") && st["details"].is_object() ? st["details"] : Json::object();
  if (st.value("reason", "") == "Invalid" && details.contains("causes") && details["causes"].is_array() &&
      !details["causes"].empty() && details.contains("kind")) {
    std::vector<std::string> causes;
    for (const auto& c : details["causes"]) {
      const std::string field = c.value("field", "");
      causes.push_back(field.empty() ? c.value("message", "") : field + ": " + c.value("message", ""));
    }
    return details.value("kind", "") + " " + str::quote(details.value("name", "")) + " is invalid: " + str::join(causes, "; ");
  }
  const std::string message = st.value("message", "");
  return message.empty() ? "the server answered HTTP " + std::to_string(code) + " " + st.value("reason", "") : message;
}

std::unique_ptr<Client> connect(const ClusterConfig& config, RestOptions options) {
  return std::make_unique<RestClient>(config, std::move(options));
}

} // namespace kf::kube
