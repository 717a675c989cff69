// cpp-httplib <-> Api.
#include "runtime/server/http_server.h"

#include "runtime/error.h"
#include "runtime/server/connection_pool.h"
#include "runtime/server/infer_response.h"

#include <httplib.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

namespace kf::server {

namespace {

// Debian's cpp-httplib is a compiled library whose listen() backlog is 5
// (CPPHTTPLIB_LISTEN_BACKLOG, fixed when the .so was built). A burst of new
// connections then overflows the accept queue, and with SYN cookies the
// kernel answers the overflow with resets. Calling listen() again on the
// listening socket raises its backlog (Linux); the socket is found as the
// one of ours that listens on `port`.
void raise_backlog(int port) {
  for (int fd = 0; fd < 1024; ++fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int listening = 0;
    socklen_t olen = sizeof listening;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) != 0 || !listening) continue;
    int bound = -1;
    if (addr.ss_family == AF_INET) bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    else if (addr.ss_family == AF_INET6) bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (bound == port) ::listen(fd, SOMAXCONN);
  }
}

constexpr std::size_t k_max_header_bytes = 64 * 1024;

// The Content-Length a request announces (0 when none).
std::uint64_t content_length(const httplib::Request& req) {
  return req.has_header("Content-Length") ? std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10)
                                          : 0;
}

// httplib 0.11 keeps a connection open whatever Connection header a handler
// sets, and reads what is left of an unread body as the next request. A
// content provider that reports failure after writing the whole response is
// the one way a handler can have the connection closed.
void close_after(httplib::Response& res) {
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  const std::string type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");
  res.set_header("Connection", "close");
  res.set_content_provider(body->size(), type.c_str(),
                           [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             sink.write(body->data() + offset, length);
                             return false;
                           });
}

void json_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(encode_error(message), "application/json");
}

} // namespace

HttpServer::HttpServer(Api& api, ServerMetrics& metrics, const HttpOptions& options)
    : m_api(api), m_metrics(metrics), m_options(options), m_server(std::make_unique<httplib::Server>()) {
  httplib::Server& s = *m_server;
  const std::size_t threads = std::max<std::size_t>(m_options.threads, 1);
  s.new_task_queue = [threads] {
    return new ConnectionPool(threads, std::min<std::size_t>(threads, 16), std::chrono::seconds(30));
  };
  s.set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which lets a second server share a
  // busy port silently; SO_REUSEADDR alone only skips TIME_WAIT.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(m_options.keep_alive_seconds);
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  set_limits();
  set_routes();
}

void HttpServer::set_limits() {
  httplib::Server& s = *m_server;
  // read_body() bounds bodies: httplib's own limit would read a 1 GiB body to drop it.
  s.set_payload_max_length(std::numeric_limits<std::size_t>::max());
  // httplib refuses a header line over 8 KiB (400) but not how many lines;
  // past k_max_header_bytes in all the request gets 431.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::size_t total = 0;
    for (const auto& [name, value] : req.headers) total += name.size() + value.size() + 4;
    if (total <= k_max_header_bytes) return httplib::Server::HandlerResponse::Unhandled;
    reject(res, 431, "request headers too large (over " + std::to_string(k_max_header_bytes / 1024) + " KiB in all)");
    close_after(res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // A client that waits for "100 Continue" is refused before it sends the body.
  s.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (content_length(req) <= m_options.max_body_bytes) return 100;
    reject(res, 413, too_large_message());
    const std::size_t size = res.body.size();
    close_after(res); // the client may send the body all the same
    res.set_header("Content-Length", std::to_string(size)); // httplib counts it only for routed responses
    return 413;
  });
  // Responses httplib makes itself (400 for a malformed request, 414 for a
  // long URI) get a JSON body and are counted; responses with a body (or a
  // content provider: close_after()) are ours.
  s.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = res.status == 400 ? "malformed HTTP request" : "HTTP " + std::to_string(res.status);
    if (!req.path.empty()) message += " (" + req.method + " " + req.path + ")";
    json_error(res, res.status, message);
    m_metrics.request("transport", res.status, 0.0);
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    json_error(res, 500, "internal error");
  });
}

void HttpServer::set_routes() {
  httplib::Server& s = *m_server;
  auto respond = [this](const httplib::Request& req, std::string_view body, httplib::Response& res) {
    HttpResponse out = m_api.handle({req.method, req.path, body, req.has_header("Inference-Header-Content-Length")});
    res.status = out.status;
    if (!out.allow.empty()) res.set_header("Allow", out.allow);
    res.set_content(std::move(out.body), out.content_type.c_str());
  };
  auto no_body = [respond](const httplib::Request& req, httplib::Response& res) { respond(req, {}, res); };
  auto with_body = [this, respond](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& read) {
    std::string body;
    if (read_body(req, res, read, body)) respond(req, body, res);
  };
  s.Get(".*", no_body);
  s.Delete(".*", no_body);
  s.Options(".*", no_body);
  s.Post(".*", httplib::Server::HandlerWithContentReader(with_body));
  s.Put(".*", httplib::Server::HandlerWithContentReader(with_body));
  s.Patch(".*", httplib::Server::HandlerWithContentReader(with_body));
}

HttpServer::~HttpServer() = default;

// Bodies are read here, not by httplib, so that chunked ones are bounded too.
// One over the limit is answered 413 without being read whole: what arrives
// up to 1 MiB past the limit is read and dropped (so the client, still
// sending, reads the answer rather than a reset), then the connection closes.
// A Content-Length past that is not read at all.
bool HttpServer::read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read,
                           std::string& body) {
  constexpr std::uint64_t k_drain = 1u << 20;
  if (req.is_multipart_form_data()) {
    std::uint64_t seen = 0;
    const bool drained = read([](const httplib::MultipartFormData&) { return true; },
                              [&](const char*, std::size_t n) { return (seen += n) <= m_options.max_body_bytes; });
    reject(res, 415, "multipart/form-data is not supported; send application/json");
    if (!drained) close_after(res);
    return false;
  }
  // No Content-Length and not chunked: an empty body.
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) return true;
  const std::uint64_t limit = m_options.max_body_bytes;
  bool drained = true;
  if (content_length(req) <= limit + k_drain) {
    std::uint64_t seen = 0;
    drained = read([&](const char* data, std::size_t n) {
      seen += n;
      if (seen <= limit) body.append(data, n);
      else std::string().swap(body);
      return seen <= limit + k_drain;
    });
    if (!drained && seen <= limit + k_drain) { // the client stopped sending: not a size problem
      reject(res, 400, "cannot read the request body (" + req.method + " " + req.path + ")");
      close_after(res);
      return false;
    }
    if (seen <= limit) return true;
  }
  reject(res, 413, too_large_message());
  if (!drained || content_length(req) > limit) close_after(res);
  return false;
}

void HttpServer::reject(httplib::Response& res, int status, const std::string& message) {
  json_error(res, status, message);
  m_metrics.request("transport", status, 0.0);
}

std::string HttpServer::too_large_message() const {
  return "request body too large (the limit is " + std::to_string(m_options.max_body_bytes) +
         " bytes; see --max-body-bytes)";
}

int HttpServer::bind() {
  errno = 0;
  int port = m_options.port;
  if (port == 0) {
    port = m_server->bind_to_any_port(m_options.host);
    if (port < 0) port = 0;
  } else if (!m_server->bind_to_port(m_options.host, port)) {
    port = 0;
  }
  if (port == 0)
    throw trainer::Error("cannot listen on " + m_options.host + ":" + std::to_string(m_options.port) +
                         (errno ? std::string(": ") + std::strerror(errno) : std::string()));
  raise_backlog(port);
  return port;
}

void HttpServer::serve() { m_server->listen_after_bind(); }

void HttpServer::stop() { m_server->stop(); }

} // namespace kf::server
