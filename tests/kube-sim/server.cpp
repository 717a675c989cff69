#include "tests/kube-sim/server.h"

#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/kube-sim/discovery.h"
#include "tests/kube-sim/handlers.h"

namespace kubesim {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path);
  for (std::string s; std::getline(in, s, '/');)
    if (!s.empty()) out.push_back(s);
  return out;
}

ApiError not_found() { return ApiError(404, "NotFound", "the server could not find the requested resource"); }

void send_doc(httplib::Response& res, const std::optional<Json>& doc) {
  if (!doc) throw not_found();
  send_json(res, 200, *doc);
}

} // namespace

void send_json(httplib::Response& res, int code, const Json& body) {
  res.status = code;
  res.set_content(body.dump() + "\n", "application/json");
}

void send_error(httplib::Response& res, const ApiError& e) {
  send_json(res, e.code, status_json(e.code, e.reason, e.what(), e.details));
}

Server::Server(Store& store, ServerOptions options)
    : m_store(store), m_options(std::move(options)), m_http(std::make_unique<httplib::Server>()),
      m_rng(m_options.fault_seed) {
  m_http->set_tcp_nodelay(true);
  m_http->set_keep_alive_max_count(100000);
  m_http->set_keep_alive_timeout(30);
  m_http->new_task_queue = [] { return new httplib::ThreadPool(64); };
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  m_http->Get(".*", handler);
  m_http->Post(".*", handler);
  m_http->Put(".*", handler);
  m_http->Patch(".*", handler);
  m_http->Delete(".*", handler);
  if (m_options.log)
    m_http->set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::string query;
      for (const auto& [k, v] : req.params) query += (query.empty() ? "?" : "&") + k + "=" + v;
      std::cerr << "kube-sim: " << req.method << ' ' << req.path << query << " -> " << res.status << '\n';
    });
}

Server::~Server() = default;

int Server::bind(const std::string& host, int port) {
  const int bound = port == 0 ? m_http->bind_to_any_port(host) : (m_http->bind_to_port(host, port) ? port : -1);
  m_address = host + ":" + std::to_string(bound);
  return bound;
}

void Server::run() { m_http->listen_after_bind(); }
void Server::stop() { m_http->stop(); }
bool Server::running() const { return m_http->is_running(); }

bool Server::inject_fault(const httplib::Request& req, httplib::Response& res) {
  if (m_options.fault_rate <= 0 || req.path == "/healthz" || m_options.faults.empty()) return false;
  std::string kind;
  {
    const std::lock_guard lock(m_fault_mu);
    if (std::uniform_real_distribution<double>(0, 1)(m_rng) >= m_options.fault_rate) return false;
    kind = m_options.faults[std::uniform_int_distribution<std::size_t>(0, m_options.faults.size() - 1)(m_rng)];
  }
  if (kind == "429") {
    send_json(res, 429, status_json(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later",
                                    {{"retryAfterSeconds", m_options.retry_after}}));
    res.set_header("Retry-After", std::to_string(m_options.retry_after));
  } else if (kind == "500") {
    send_json(res, 500, status_json(500, "InternalError", "Internal error occurred: injected fault"));
  } else if (kind == "503") {
    send_json(res, 503, status_json(503, "ServiceUnavailable", "the server is currently unable to handle the request"));
  } else if (kind == "slow") {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    return false;
  } else { // "reset": promise a body, then drop the connection without sending it
    res.set_content_provider(
        64, "application/json", [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
  }
  return true;
}

void Server::handle(const httplib::Request& req, httplib::Response& res) {
  if (m_options.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(m_options.latency_ms));
  try {
    if (req.path == "/healthz" || req.path == "/readyz" || req.path == "/livez") {
      res.set_content("ok", "text/plain");
      return;
    }
    if (!m_options.token.empty() && req.get_header_value("Authorization") != "Bearer " + m_options.token)
      throw ApiError(401, "Unauthorized", "Unauthorized");
    if (inject_fault(req, res)) return;
    const auto seg = split_path(req.path);
    const auto types = m_store.types();
    const bool get = req.method == "GET";
    if (get && req.path == "/version") return send_json(res, 200, version_doc());
    if (get && req.path == "/api") return send_json(res, 200, api_versions_doc(m_address));
    if (get && req.path == "/apis") return send_json(res, 200, api_group_list_doc(types));
    if (get && req.path == "/openapi/v3") return send_json(res, 200, openapi_root_doc(types));
    if (get && seg.size() >= 3 && seg[0] == "openapi" && seg[1] == "v3")
      return send_doc(res, openapi_gv_doc(types, req.path.substr(std::string("/openapi/v3/").size())));
    if (seg.empty() || (seg[0] != "api" && seg[0] != "apis")) throw not_found();
    const bool core = seg[0] == "api";
    if (!core && seg.size() == 2 && get) return send_doc(res, api_group_doc(types, seg[1]));
    const std::size_t base = core ? 2 : 3;
    if (seg.size() < base) throw not_found();
    const std::string group = core ? "" : seg[1];
    const std::string version = seg[base - 1];
    if (seg.size() == base && get) return send_doc(res, api_resource_list_doc(types, group, version));
    if (seg.size() == base) throw not_found();

    std::vector<std::string> rest(seg.begin() + static_cast<std::ptrdiff_t>(base), seg.end());
    std::string ns;
    if (rest.size() >= 3 && rest[0] == "namespaces") {
      const auto t = m_store.find_type(group, version, rest[2]);
      if (t && t->namespaced) {
        ns = rest[1];
        rest.erase(rest.begin(), rest.begin() + 2);
      }
    }
    const auto type = m_store.find_type(group, version, rest[0]);
    if (!type || rest.size() > 3 || (!type->namespaced && !ns.empty())) throw not_found();
    Call call{req, res, *type, ns, rest.size() > 1 ? rest[1] : "", rest.size() > 2 ? rest[2] : ""};
    if (!call.sub.empty() && (call.sub != "status" || !type->status_subresource)) throw not_found();
    serve_resource(m_store, call);
  } catch (const ApiError& e) {
    send_error(res, e);
    if (e.code == 429) res.set_header("Retry-After", std::to_string(m_options.retry_after));
  }
}

} // namespace kubesim
