#include "libkf/kube/rest_client.h"

#include <map>
#include <mutex>
#include <thread>

#include "libkf/kube/http.h"
#include "libkf/util/strings.h"

namespace kf::kube {

namespace {

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

std::string gv_path(std::string_view api_version) {
  return api_version.find('/') == std::string_view::npos ? "/api/" + std::string(api_version)
                                                         : "/apis/" + std::string(api_version);
}

bool retryable(long code) { return code == 429 || code == 500 || code == 502 || code == 503 || code == 504; }

class RestClient final : public Client {
public:
  RestClient(const ClusterConfig& config, RestOptions options) : m_http(config), m_options(std::move(options)) {}

  std::string server() const override { return m_http.config().server; }

  std::optional<ResourceInfo> resource(std::string_view api_version, std::string_view kind) override {
    const std::string gv(api_version);
    for (int pass = 0; pass < 2; ++pass) {
      {
        const std::lock_guard lock(m_mu);
        const auto it = m_discovery.find(gv);
        if (it != m_discovery.end() && pass == 0)
          for (const auto& r : it->second)
            if (r.kind == kind) return r;
      }
      discover(gv);
    }
    const std::lock_guard lock(m_mu);
    for (const auto& r : m_discovery[gv])
      if (r.kind == kind) return r;
    return std::nullopt;
  }

  Json apply(const Json& obj, const ApplyOptions& o) override {
    const ObjectRef ref = ObjectRef::of(obj);
    std::string target = path(ref) + "?fieldManager=" + escape(o.field_manager);
    if (o.force) target += "&force=true";
    if (o.dry_run) target += "&dryRun=All";
    return Json::parse(checked(call({"PATCH", target, obj.dump(), "application/apply-patch+yaml"})).body);
  }

  std::optional<Json> get(const ObjectRef& ref) override {
    const auto res = call({"GET", path(ref), "", ""});
    if (res.status == 404) return std::nullopt;
    return Json::parse(checked(res).body);
  }

  std::vector<Json> list(std::string_view api_version, std::string_view kind, const ListOptions& o) override {
    const ResourceInfo r = need(api_version, kind);
    std::string base = gv_path(api_version) + (r.namespaced && !o.namespace_.empty() ? "/namespaces/" + escape(o.namespace_) : "") +
                       "/" + r.resource + "?limit=" + std::to_string(o.page_size);
    if (!o.label_selector.empty()) base += "&labelSelector=" + escape(o.label_selector);
    std::vector<Json> out;
    std::string next;
    do {
      const Json page = Json::parse(checked(call({"GET", next.empty() ? base : base + "&continue=" + escape(next), "", ""})).body);
      for (const auto& item : page.value("items", Json::array())) out.push_back(item);
      next = page.contains("metadata") ? page["metadata"].value("continue", "") : "";
    } while (!next.empty());
    return out;
  }

  bool remove(const ObjectRef& ref, const DeleteOptions& o) override {
    std::string target = path(ref);
    if (o.dry_run) target += "?dryRun=All";
    const Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", o.propagation}};
    const auto res = call({"DELETE", target, body.dump(), "application/json"});
    if (res.status == 404) return false;
    checked(res);
    return true;
  }

  std::string watch(std::string_view, std::string_view, const WatchOptions&,
                    const std::function<bool(const WatchEvent&)>&) override {
    throw Error("RestClient::watch: TODO (helper kube-client)");
  }

  void pod_logs(const std::string&, const std::string&, const PodLogOptions&,
                const std::function<bool(std::string_view)>&) override {
    throw Error("RestClient::pod_logs: TODO (helper kube-client)");
  }

private:
  ResourceInfo need(std::string_view api_version, std::string_view kind) {
    auto r = resource(api_version, kind);
    if (!r)
      throw Error("the server " + server() + " does not serve kind " + str::quote(kind) + " in version " +
                  str::quote(api_version) + " (is its CRD installed?)");
    return *r;
  }

  std::string path(const ObjectRef& ref) {
    const ResourceInfo r = need(ref.api_version, ref.kind);
    if (r.namespaced && ref.namespace_.empty())
      throw Error(r.kind + " " + str::quote(ref.name) + " needs a namespace");
    return gv_path(ref.api_version) + (r.namespaced ? "/namespaces/" + escape(ref.namespace_) : "") + "/" + r.resource +
           "/" + escape(ref.name);
  }

  void discover(const std::string& gv) {
    const auto res = call({"GET", gv_path(gv), "", ""});
    std::vector<ResourceInfo> found;
    if (res.status != 404) {
      const Json doc = Json::parse(checked(res).body);
      const auto slash = gv.find('/');
      for (const auto& r : doc.value("resources", Json::array())) {
        const std::string name = r.value("name", "");
        if (name.empty() || name.find('/') != std::string::npos) continue; // subresources
        found.push_back(ResourceInfo{slash == std::string::npos ? "" : gv.substr(0, slash),
                                     slash == std::string::npos ? gv : gv.substr(slash + 1), name,
                                     r.value("kind", ""), r.value("namespaced", true)});
      }
    }
    const std::lock_guard lock(m_mu);
    m_discovery[gv] = std::move(found);
  }

  const HttpResponse& checked(const HttpResponse& res) {
    if (res.status >= 200 && res.status < 300) return res;
    if (res.status == 401)
      throw ApiError(401, reason_of(res.body), server() + " refused kf's credentials (" + status_message(res.body, res.status) +
                                                   "); check the user of the kubeconfig context");
    throw ApiError(static_cast<int>(res.status), reason_of(res.body), status_message(res.body, res.status));
  }

  static std::string reason_of(const std::string& body) {
    try {
      const Json st = Json::parse(body);
      return st.is_object() ? st.value("reason", "") : "";
    } catch (const Json::parse_error&) {
      return "";
    }
  }

  void debug(const std::string& line) const {
    if (m_options.debug) m_options.debug(line);
  }

  // One request with retries; returns the last answer (even an error status).
  HttpResponse call(HttpRequest req) {
    bool refreshed = false;
    for (int attempt = 0;; ++attempt) {
      auto backoff = std::min(m_options.backoff_max, m_options.backoff_base * (1 << std::min(attempt, 16)));
      HttpResponse res;
      try {
        res = m_http.perform(req);
      } catch (const TransportError& e) {
        if (attempt >= m_options.max_retries)
          throw Error("cannot reach " + server() + ": " + e.what() + " (" + std::to_string(attempt + 1) + " attempts)");
        debug(req.method + " " + req.target + ": " + e.what() + "; retrying in " + std::to_string(backoff.count()) + "ms");
        std::this_thread::sleep_for(backoff);
        continue;
      }
      if (res.status == 401 && !refreshed) {
        refreshed = true;
        m_http.refresh_credentials();
        continue;
      }
      if (!retryable(res.status) || attempt >= m_options.max_retries) return res;
      if (!res.retry_after.empty() && res.retry_after.find_first_not_of("0123456789") == std::string::npos) {
        const auto wait = std::chrono::seconds(std::min<long long>(std::stoll(res.retry_after), m_options.max_retry_after.count()));
        backoff = std::max(backoff, std::chrono::duration_cast<std::chrono::milliseconds>(wait));
      }
      debug(req.method + " " + req.target + ": HTTP " + std::to_string(res.status) + "; retrying in " +
            std::to_string(backoff.count()) + "ms");
      std::this_thread::sleep_for(backoff);
    }
  }

  Transport m_http;
  RestOptions m_options;
  std::mutex m_mu;
  std::map<std::string, std::vector<ResourceInfo>> m_discovery; // group-version -> its resources
};

} // namespace

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
    st = Json::parse(body);
  } catch (const Json::parse_error&) {
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
