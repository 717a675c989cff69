#include "tests/kube-sim/server.h"

#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "libkf/kube/kubeconfig.h"
#include "runtime/server/worker_pool.h"
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

// httplib holds a thread for each open connection (keep-alive included):
// a thread per connection, up to a cap far above what tests open, 8 kept,
// the others ending after 10 s idle. Idle, half-sent or trickling clients
// (slowloris) then cannot starve the others, as they did a fixed pool of 64.
class GrowingPool final : public httplib::TaskQueue {
public:
  void enqueue(std::function<void()> fn) override { m_pool.enqueue(std::move(fn)); }
  void shutdown() override { m_pool.shutdown(); }
  void on_idle() override { m_pool.on_idle(); }

private:
  kf::server::WorkerPool m_pool{4096, 8, std::chrono::seconds(10)};
};

// The watch-break fault chosen for the request being handled on this thread.
thread_local const httplib::Request* t_break_request = nullptr;
thread_local int t_break_after = 0;

struct BreakGuard {
  ~BreakGuard() { t_break_request = nullptr; }
};

bool is_watch(const httplib::Request& req) { return flag(req, "watch"); }

// host and port of a socket address, formatted as cpp-httplib formats Request::remote_addr.
std::pair<std::string, std::string> name_of(const sockaddr_storage& addr, socklen_t len) {
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return {};
  return {host, port};
}

// Shuts down the connection `req` came on, so that no response reaches the
// client. cpp-httplib gives handlers no socket: over TLS it is the SSL's;
// over plain HTTP it is found among the process's descriptors by its two
// addresses. False when it was not found.
bool shut_down_connection(const httplib::Request& req) {
  if (req.ssl) return ::shutdown(SSL_get_fd(req.ssl), SHUT_RDWR) == 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return false;
  bool done = false;
  while (const dirent* e = ::readdir(dir)) {
    const int fd = std::atoi(e->d_name);
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == ::dirfd(dir)) continue;
    sockaddr_storage peer{}, local{};
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0)
      continue;
    if (name_of(peer, peer_len) == std::pair{req.remote_addr, std::to_string(req.remote_port)} &&
        name_of(local, local_len).second == std::to_string(req.local_port)) {
      done = ::shutdown(fd, SHUT_RDWR) == 0;
      break;
    }
  }
  ::closedir(dir);
  return done;
}

bool has_prefix(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool token_in_file(const std::string& file, const std::string& token) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty() && line == token) return true;
  }
  return false;
}

ApiError not_found() { return ApiError(404, "NotFound", "the server could not find the requested resource"); }

void send_doc(httplib::Response& res, const std::optional<Json>& doc) {
  if (!doc) throw not_found();
  send_json(res, 200, *doc);
}

} // namespace

const std::vector<std::string> k_fault_kinds{"429", "500", "503", "reset", "drop", "slow", "watch-break"};

int watch_break_after(const httplib::Request& req) { return t_break_request == &req ? t_break_after : 0; }

void send_json(httplib::Response& res, int code, const Json& body) {
  res.status = code;
  res.set_content(body.dump() + "\n", "application/json");
}

void send_error(httplib::Response& res, const ApiError& e) {
  send_json(res, e.code, status_json(e.code, e.reason, e.what(), e.details));
}

Server::Server(Store& store, ServerOptions options)
    : m_store(store), m_options(std::move(options)), m_rng(m_options.fault_seed) {
  if (m_options.tls) {
    std::string error;
    auto https = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      try {
        tls::configure_server(ctx, *m_options.tls);
        return true;
      } catch (const std::exception& e) {
        error = e.what();
        return false;
      }
    });
    if (!https->is_valid()) throw std::runtime_error(error.empty() ? "TLS: cannot create the server's SSL context" : error);
    m_http = std::move(https);
  } else {
    m_http = std::make_unique<httplib::Server>();
  }
  if (!m_options.fault_paths.empty()) {
    try {
      m_fault_paths.emplace(m_options.fault_paths);
    } catch (const std::regex_error& e) {
      throw std::runtime_error("--fault-paths " + m_options.fault_paths + ": not a regular expression (" + e.what() + ")");
    }
  }
  m_http->set_tcp_nodelay(true);
  m_http->set_keep_alive_max_count(100000);
  m_http->set_keep_alive_timeout(30);
  m_http->new_task_queue = [] { return new GrowingPool(); };
  route_with_limits(*m_http, m_options.limits, [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
  if (m_options.log)
    m_http->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      // Never the Authorization header: only who it authenticated.
      std::string query;
      for (const auto& [k, v] : req.params) query += (query.empty() ? "?" : "&") + k + "=" + v;
      const auto who = authenticate(req);
      const std::string fault = res.get_header_value("X-Kube-Sim-Fault");
      std::cerr << "kube-sim: " << req.method << ' ' << req.path << query << " -> " << res.status << " ("
                << (who ? *who : "unauthenticated") << (fault.empty() ? "" : ", fault " + fault) << ")\n";
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

std::optional<std::string> Server::authenticate(const httplib::Request& req) const {
  if (m_options.tls)
    if (auto cn = tls::peer_user(req.ssl)) return "x509:" + *cn;
  const std::string auth = req.get_header_value("Authorization");
  if (has_prefix(auth, "Bearer ")) {
    const std::string token = auth.substr(7);
    if (!token.empty() && (token == m_options.token || (!m_options.token_file.empty() && token_in_file(m_options.token_file, token))))
      return "token";
  } else if (has_prefix(auth, "Basic ") && !m_options.basic.empty()) {
    if (kf::kube::base64_decode(auth.substr(6)) == m_options.basic) return "basic:" + m_options.basic.substr(0, m_options.basic.find(':'));
  }
  if (m_options.token.empty() && m_options.token_file.empty() && m_options.basic.empty() && !m_options.tls) return "anonymous";
  return std::nullopt;
}

bool Server::inject_fault(const httplib::Request& req, httplib::Response& res) {
  if (m_options.fault_rate <= 0 || m_options.faults.empty() || m_faults_paused) return false;
  if (m_fault_paths && !std::regex_search(req.path, *m_fault_paths)) return false;
  std::vector<std::string> kinds; // watch-break only breaks watches
  for (const auto& k : m_options.faults)
    if (k != "watch-break" || is_watch(req)) kinds.push_back(k);
  if (kinds.empty()) return false;
  std::string kind;
  int break_after = 0;
  {
    const std::lock_guard lock(m_fault_mu);
    if (std::uniform_real_distribution<double>(0, 1)(m_rng) >= m_options.fault_rate) return false;
    kind = kinds[std::uniform_int_distribution<std::size_t>(0, kinds.size() - 1)(m_rng)];
    if (kind == "watch-break") break_after = std::uniform_int_distribution<int>(1, 3)(m_rng);
  }
  res.set_header("X-Kube-Sim-Fault", kind);
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
  } else if (kind == "watch-break") { // serve_watch ends the stream after break_after events
    t_break_request = &req;
    t_break_after = break_after;
    return false;
  } else if (kind == "drop") { // the request was read; the connection closes with no response at all
    if (!shut_down_connection(req))
      send_json(res, 500, status_json(500, "InternalError", "Internal error occurred: injected fault (drop) found no connection to drop"));
    else
      res.status = 500; // for the log; nothing reaches the client
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
    if (!authenticate(req)) throw ApiError(401, "Unauthorized", "Unauthorized");
    const BreakGuard clear_watch_break;
    if (inject_fault(req, res)) return;
    // "/version/", "/apis/" as Python's client asks: the API server ignores a trailing slash.
    const std::string path = req.path.size() > 1 && req.path.back() == '/' ? req.path.substr(0, req.path.size() - 1) : req.path;
    const auto seg = split_path(path);
    const auto types = m_store.types();
    const bool get = req.method == "GET";
    if (get && path == "/version") return send_json(res, 200, version_doc());
    if (get && path == "/api") return send_json(res, 200, api_versions_doc(m_address));
    if (get && path == "/apis") return send_json(res, 200, api_group_list_doc(types));
    if (get && path == "/openapi/v3") return send_json(res, 200, openapi_root_doc(types));
    if (get && seg.size() >= 3 && seg[0] == "openapi" && seg[1] == "v3")
      return send_doc(res, openapi_gv_doc(types, path.substr(std::string("/openapi/v3/").size())));
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
    if (type && core && type->kind == "Pod" && !ns.empty() && rest.size() >= 3 && rest[2] == "proxy") { // proxy.cpp
      std::string tail;
      for (std::size_t i = 3; i < rest.size(); ++i) tail += (i > 3 ? "/" : "") + rest[i];
      Call call{req, res, *type, ns, rest[1], "proxy"};
      return serve_pod_proxy(m_store, call, tail, m_options.proxy_pods_to);
    }
    if (!type || rest.size() > 3 || (!type->namespaced && !ns.empty())) throw not_found();
    Call call{req, res, *type, ns, rest.size() > 1 ? rest[1] : "", rest.size() > 2 ? rest[2] : ""};
    const bool status = call.sub == "status" && type->status_subresource;
    const bool pod_log = call.sub == "log" && type->kind == "Pod" && type->group.empty(); // logs.cpp
    if (!call.sub.empty() && !status && !pod_log) throw not_found();
    serve_resource(m_store, call);
  } catch (const ApiError& e) {
    send_error(res, e);
    if (e.code == 429) res.set_header("Retry-After", std::to_string(m_options.retry_after));
  }
}

} // namespace kubesim
