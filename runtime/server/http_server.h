#pragma once
// HttpServer: carries Api over HTTP/1.1 with libmicrohttpd. One event loop
// (epoll) reads every connection, so idle, half-sent or trickling clients
// hold a little memory each and no thread; a request whose body has arrived
// runs on a WorkerPool thread (an inference may wait for its batch) while its
// connection is suspended, and requests without a body (health, metadata,
// /metrics) are answered on the loop itself - as is a small, quick request
// from the only client connected, when HttpOptions::inline_body_bytes allows
// (the hand-off costs a wake-up of a worker and one of the loop).
//
// Limits, each answered with a JSON {"error": ...} and counted as endpoint
// "transport": headers over 64 KiB in all get 431; a body over
// max_body_bytes gets 413, at once when Content-Length announces it (and
// before "100 Continue"), otherwise when it passes the limit; a method kf
// does not know gets 501; multipart bodies get 415. The connection closes
// after a refusal. A refused body is first read and dropped up to 1 MiB past
// the limit, so that a client still sending reads the answer, not a reset;
// one announced longer than that, or never sent ("Expect: 100-continue"),
// is answered before it; a chunked one that goes on longer is cut off
// unanswered (libmicrohttpd takes no response in the middle of a body). libmicrohttpd bounds a connection's memory (request line,
// headers and read buffer) and answers past that bound itself; those answers
// are counted as "transport" too (431, and 400 for a malformed header),
// except the ones it gives before the request line is whole (414, 505),
// which libmicrohttpd 0.9.75 reports to no callback.
//
// stop() stops accepting (new connections are refused); serve() then returns
// once every request in progress has had its response. Not copyable.

#include "runtime/server/api.h"
#include "runtime/server/metrics.h"
#include "runtime/server/worker_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

struct MHD_Daemon;
struct MHD_Connection;

namespace kf::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                          // 0: any free port
  std::size_t threads = 1024;               // most request threads (WorkerPool)
  std::size_t max_body_bytes = 32u << 20;   // larger bodies get 413
  int idle_timeout_seconds = 30;            // a connection with no traffic this long is closed
  // A request whose body is at most this long runs on the event loop itself
  // when its client is the only one (no other connection open, so no other
  // request in flight) and recent inferences took under inline_max_time: no
  // hand-off to a worker and back. 0: never (with dynamic batching an
  // inference waits for its batch).
  std::size_t inline_body_bytes = 0;
  std::chrono::microseconds inline_max_time{1000};
};

struct Exchange; // one request on one connection (http_server.cpp)

class HttpServer {
public:
  HttpServer(Api& api, ServerMetrics& metrics, const HttpOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens and starts the event loop; returns the port. Throws trainer::Error on failure.
  int bind();
  // Returns after stop(), once in-flight requests have their responses.
  void serve();
  // Callable from any thread (e.g. a signal-handling thread), before or after serve().
  void stop();

  // libmicrohttpd's callbacks (http_server.cpp).
  int on_request(MHD_Connection* connection, const char* url, const char* method, const char* upload,
                 std::size_t* upload_size, void** state);
  void on_completed(MHD_Connection* connection, void** state);

private:
  int on_headers(MHD_Connection* connection, Exchange& ex);
  void on_body(Exchange& ex, const char* data, std::size_t size);
  void dispatch(MHD_Connection* connection, Exchange& ex);
  bool runs_inline(const Exchange& ex) const;
  int answer(MHD_Connection* connection, Exchange& ex);
  // A JSON error made here, not by the Api (counted as endpoint "transport").
  // The connection closes after it.
  void refuse(Exchange& ex, int status, const std::string& message);
  std::string too_large_message() const;

  Api& m_api;
  ServerMetrics& m_metrics;
  HttpOptions m_options;
  WorkerPool m_workers;
  MHD_Daemon* m_daemon = nullptr;
  int m_listen_fd = -1;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  bool m_stop = false;
  std::size_t m_in_flight = 0; // requests read whole and not yet answered
  std::atomic<std::int64_t> m_recent_handle_us{-1}; // recent requests with a body, µs each (-1: none yet)
};

} // namespace kf::server
