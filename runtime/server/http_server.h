#pragma once
// HttpServer: carries Api over HTTP/1.1 with cpp-httplib. A pool of
// connection threads (httplib serves one keep-alive connection per thread)
// reads requests, calls Api::handle and writes the response; TCP_NODELAY is
// set on accepted sockets. Bodies over max_body_bytes get 413; other
// transport-level errors (bad request line, unknown method) also get a JSON
// {"error": ...} body. stop() stops accepting; serve() then returns once
// every request in progress has had its response. Not copyable.

#include "runtime/server/api.h"
#include "runtime/server/metrics.h"

#include <cstddef>
#include <memory>
#include <string>

namespace httplib {
class Server;
class ContentReader;
struct Request;
struct Response;
}

namespace kf::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                          // 0: any free port
  std::size_t threads = 1024;               // most connection threads (ConnectionPool)
  std::size_t max_body_bytes = 32u << 20;   // larger bodies get 413
  int keep_alive_seconds = 5;               // idle keep-alive connections close after this
};

class HttpServer {
public:
  HttpServer(Api& api, ServerMetrics& metrics, const HttpOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; returns the port. Throws trainer::Error on failure.
  int bind();
  // Accepts and serves until stop(); returns after in-flight requests finish.
  void serve();
  // Callable from any thread (e.g. a signal-handling thread).
  void stop();

private:
  void set_limits(); // bodies, headers, Expect, and httplib's own error responses
  void set_routes(); // every method and path to the Api
  std::string too_large_message() const;
  // Reads the request's body into `body`; false when it answered instead
  // (413 over --max-body-bytes, 415 multipart, 400 a body cut short).
  bool read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read,
                 std::string& body);
  // A JSON error made here, not by the Api (counted as endpoint "transport").
  void reject(httplib::Response& res, int status, const std::string& message);

  Api& m_api;
  ServerMetrics& m_metrics;
  HttpOptions m_options;
  std::unique_ptr<httplib::Server> m_server;
};

} // namespace kf::server
