// libmicrohttpd <-> Api.
#include "runtime/server/http_server.h"

#include "runtime/error.h"
#include "runtime/server/infer_response.h"

#include <microhttpd.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

namespace kf::server {

// What one request has said and will be answered. Made when its headers
// have arrived, deleted when libmicrohttpd has sent its response.
struct Exchange {
  std::string method;
  std::string path;
  bool binary_tensors = false;
  std::string body;
  std::uint64_t seen = 0;       // body bytes received (kept or dropped)
  // reading: headers or body still coming; refused: `response` is kf's
  // refusal, the rest of the body is dropped, the connection closes after it;
  // working: read whole and given to the Api (counted in m_in_flight), on a
  // worker while the connection is suspended; answered: the Api's `response` is made.
  enum class Stage { reading, refused, working, answered } stage = Stage::reading;
  HttpResponse response;
};

namespace {

constexpr std::size_t k_max_header_bytes = 64 * 1024;
// libmicrohttpd's pool per connection holds the request line, the headers and
// the read buffer; headers past k_max_header_bytes fit in it, so kf answers them.
constexpr std::size_t k_connection_memory = 192 * 1024;
constexpr std::uint64_t k_drain = 1u << 20;
constexpr unsigned k_max_connections = 16384;

const char* header(MHD_Connection* c, const char* name) { return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name); }

std::size_t header_bytes(MHD_Connection* c) {
  std::size_t total = 0;
  MHD_get_connection_values(
      c, MHD_HEADER_KIND,
      [](void* cls, MHD_ValueKind, const char* key, const char* value) {
        *static_cast<std::size_t*>(cls) += std::strlen(key) + (value ? std::strlen(value) : 0) + 4;
        return MHD_YES;
      },
      &total);
  return total;
}

bool known_method(std::string_view m) {
  for (std::string_view k : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    if (m == k) return true;
  return false;
}

bool has_body(std::string_view m) { return m == "POST" || m == "PUT" || m == "PATCH"; }

// Connections hold a descriptor each: allow as many as the hard limit does.
void raise_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// A listening, non-blocking socket on host:port; its port in `bound`.
int listen_on(const std::string& host, int port, int& bound, int& family) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    throw trainer::Error("cannot listen on " + where + ": " + ::gai_strerror(rc));
  int fd = -1;
  int err = 0;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) { err = errno; continue; }
    // SO_REUSEADDR skips TIME_WAIT; without SO_REUSEPORT a busy port stays an error.
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
      continue;
    }
    family = a->ai_family;
  }
  ::freeaddrinfo(found);
  if (fd < 0) throw trainer::Error("cannot listen on " + where + ": " + std::strerror(err));
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return fd;
}

MHD_Result on_request_cb(void* cls, MHD_Connection* connection, const char* url, const char* method,
                         const char* /*version*/, const char* upload, std::size_t* upload_size, void** state) {
  return static_cast<HttpServer*>(cls)->on_request(connection, url, method, upload, upload_size, state) ? MHD_YES
                                                                                                        : MHD_NO;
}

void on_completed_cb(void* cls, MHD_Connection* connection, void** state, MHD_RequestTerminationCode) {
  static_cast<HttpServer*>(cls)->on_completed(connection, state);
}

// Registered only so that libmicrohttpd reports every request whose URI it
// parsed as completed, also one it answered itself before on_request saw it
// (a malformed header: 400; headers past the connection's memory: 431).
// Returning null leaves on_request's state as it was.
void* on_uri_cb(void*, const char*, MHD_Connection*) { return nullptr; }

} // namespace

HttpServer::HttpServer(Api& api, ServerMetrics& metrics, const HttpOptions& options)
    : m_api(api), m_metrics(metrics), m_options(options),
      m_workers(std::max<std::size_t>(options.threads, 1), std::min<std::size_t>(options.threads, 16),
                std::chrono::seconds(30)) {}

HttpServer::~HttpServer() {
  stop();
  m_workers.shutdown(); // every suspended connection is resumed before the loop stops
  // A running daemon closes the listening socket itself (unless serve() took it back).
  if (m_daemon) MHD_stop_daemon(m_daemon);
  else if (m_listen_fd >= 0) ::close(m_listen_fd);
}

int HttpServer::bind() {
  raise_file_limit();
  int port = 0;
  int family = AF_INET;
  m_listen_fd = listen_on(m_options.host, m_options.port, port, family);
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
  if (family == AF_INET6) flags |= MHD_USE_IPv6;
  m_daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &on_request_cb, this,                                  //
      MHD_OPTION_LISTEN_SOCKET, m_listen_fd,                                             //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, k_connection_memory,                           //
      MHD_OPTION_CONNECTION_LIMIT, k_max_connections,                                    //
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(std::max(m_options.idle_timeout_seconds, 1)),
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed_cb, this,                               //
      MHD_OPTION_URI_LOG_CALLBACK, &on_uri_cb, nullptr,                                  //
      MHD_OPTION_END);
  if (!m_daemon)
    throw trainer::Error("cannot listen on " + m_options.host + ":" + std::to_string(port) +
                         ": libmicrohttpd did not start" + (errno ? std::string(": ") + std::strerror(errno) : ""));
  return port;
}

void HttpServer::serve() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [this] { return m_stop; });
  // Stop accepting: the listening socket is ours again, and closing it refuses new connections.
  if (m_daemon && m_listen_fd >= 0) {
    MHD_quiesce_daemon(m_daemon);
    ::close(m_listen_fd);
    m_listen_fd = -1;
  }
  // Requests read whole get their responses (a client that never reads one is not waited for long).
  m_changed.wait_for(lock, std::chrono::seconds(30), [this] { return m_in_flight == 0; });
}

void HttpServer::stop() {
  std::lock_guard lock(m_mutex);
  m_stop = true;
  m_changed.notify_all();
}

// libmicrohttpd calls this when the headers have arrived, once per piece of
// the body, once when the body is complete, and once more after a suspended
// connection is resumed. Returning false closes the connection.
int HttpServer::on_request(MHD_Connection* connection, const char* url, const char* method, const char* upload,
                           std::size_t* upload_size, void** state) {
  auto* ex = static_cast<Exchange*>(*state);
  if (!ex) {
    ex = new Exchange;
    ex->method = method;
    ex->path = url;
    *state = ex;
    return on_headers(connection, *ex);
  }
  if (*upload_size > 0) {
    on_body(*ex, upload, *upload_size);
    *upload_size = 0;
    // A body (chunked) that goes on past what is dropped: libmicrohttpd 0.9.75
    // takes no response in the middle of a body, so the connection closes unanswered.
    if (ex->stage == Exchange::Stage::refused && ex->seen > m_options.max_body_bytes + k_drain) return false;
    return true;
  }
  if (ex->stage == Exchange::Stage::reading) {
    dispatch(connection, *ex);
    if (ex->stage == Exchange::Stage::working) return true; // suspended until a worker has the response
  }
  return answer(connection, *ex);
}

int HttpServer::on_headers(MHD_Connection* connection, Exchange& ex) {
  ex.binary_tensors = header(connection, "Inference-Header-Content-Length") != nullptr;
  if (header_bytes(connection) > k_max_header_bytes) {
    refuse(ex, 431, "request headers too large (over " + std::to_string(k_max_header_bytes / 1024) + " KiB in all)");
    return answer(connection, ex);
  }
  if (!known_method(ex.method)) {
    refuse(ex, 501, "method " + ex.method + " is not implemented");
    return answer(connection, ex);
  }
  if (const char* type = header(connection, "Content-Type");
      type && std::string_view(type).starts_with("multipart/form-data"))
    refuse(ex, 415, "multipart/form-data is not supported; send application/json");
  const char* length = header(connection, "Content-Length");
  const std::uint64_t announced = length ? std::strtoull(length, nullptr, 10) : 0;
  const char* expect = header(connection, "Expect");
  const bool waits = expect && std::string_view(expect) == "100-continue";
  if (announced > m_options.max_body_bytes) refuse(ex, 413, too_large_message());
  // A body that will not be read (never sent, or too long to drop): answer before it.
  if (ex.stage == Exchange::Stage::refused && (waits || announced > m_options.max_body_bytes + k_drain)) return answer(connection, ex);
  return true; // libmicrohttpd sends "100 Continue" if the client waits for it
}

void HttpServer::on_body(Exchange& ex, const char* data, std::size_t size) {
  ex.seen += size;
  if (ex.stage == Exchange::Stage::refused) return;
  if (ex.seen <= m_options.max_body_bytes) {
    ex.body.append(data, size);
    return;
  }
  std::string().swap(ex.body);
  refuse(ex, 413, too_large_message());
}

// A request with a body runs on the loop (no hand-off to a worker and back)
// only from the only client - no other connection open, so no other request
// in flight either - when it is small and recent ones took under
// inline_max_time: a client that connects meanwhile waits for it.
bool HttpServer::runs_inline(const Exchange& ex) const {
  if (ex.body.size() > m_options.inline_body_bytes) return false;
  const std::int64_t recent = m_recent_handle_us.load(std::memory_order_relaxed);
  if (recent < 0 || recent > m_options.inline_max_time.count()) return false;
  const MHD_DaemonInfo* info = MHD_get_daemon_info(m_daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info && info->num_connections <= 1;
}

void HttpServer::dispatch(MHD_Connection* connection, Exchange& ex) {
  {
    std::lock_guard lock(m_mutex);
    ++m_in_flight;
  }
  ex.stage = Exchange::Stage::working;
  const auto run = [this, &ex] {
    const auto start = std::chrono::steady_clock::now();
    try {
      ex.response = m_api.handle({ex.method, ex.path, ex.body, ex.binary_tensors});
    } catch (const std::exception&) {
      ex.response = error_response(500, "internal error");
    }
    ex.stage = Exchange::Stage::answered; // read by the loop after MHD_resume_connection
    // The time inferences take now (a moving average over a few): whether the
    // next may hold the loop. A refused request (bad JSON, a wrong shape)
    // ran no inference, and its microseconds would make a slow model look quick.
    if (!has_body(ex.method) || ex.response.status >= 400) return;
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    const std::int64_t before = m_recent_handle_us.load(std::memory_order_relaxed);
    m_recent_handle_us.store(before < 0 ? took.count() : (3 * before + took.count()) / 4, std::memory_order_relaxed);
  };
  // Cheap: health, metadata, /metrics, 404s and 405s; or small, quick and alone.
  if (!has_body(ex.method) || runs_inline(ex)) {
    run();
    return;
  }
  MHD_suspend_connection(connection);
  m_workers.enqueue([run, connection] {
    run();
    MHD_resume_connection(connection);
  });
}

int HttpServer::answer(MHD_Connection* connection, Exchange& ex) {
  HttpResponse& out = ex.response;
  MHD_Response* r = MHD_create_response_from_buffer(out.body.size(), out.body.data(), MHD_RESPMEM_PERSISTENT);
  if (!r) return false;
  MHD_add_response_header(r, "Content-Type", out.content_type.c_str());
  if (!out.allow.empty()) MHD_add_response_header(r, "Allow", out.allow.c_str());
  if (ex.stage == Exchange::Stage::refused) MHD_add_response_header(r, "Connection", "close");
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(out.status), r);
  MHD_destroy_response(r); // the connection keeps its own reference; the body lives in `ex`
  return queued == MHD_YES;
}

void HttpServer::on_completed(MHD_Connection* connection, void** state) {
  auto* ex = static_cast<Exchange*>(*state);
  if (!ex) { // never reached on_request: an answer of libmicrohttpd's own, if any
    const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_HTTP_STATUS);
    if (info && info->http_status >= 400) m_metrics.request("transport", static_cast<int>(info->http_status), 0.0);
    return;
  }
  *state = nullptr;
  const bool counted = ex->stage == Exchange::Stage::working || ex->stage == Exchange::Stage::answered;
  delete ex;
  if (!counted) return;
  std::lock_guard lock(m_mutex);
  --m_in_flight;
  m_changed.notify_all();
}

void HttpServer::refuse(Exchange& ex, int status, const std::string& message) {
  if (ex.stage == Exchange::Stage::refused) return;
  ex.stage = Exchange::Stage::refused;
  ex.response = error_response(status, message);
  m_metrics.request("transport", status, 0.0);
}

std::string HttpServer::too_large_message() const {
  return "request body too large (the limit is " + std::to_string(m_options.max_body_bytes) +
         " bytes; see --max-body-bytes)";
}

} // namespace kf::server
