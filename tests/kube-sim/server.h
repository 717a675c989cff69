#pragma once
// kube-sim's HTTP(S) front: cpp-httplib routes every request to one
// handler that parses the Kubernetes URL layout, authenticates the caller
// (client certificate, bearer token or basic auth, as kube-apiserver does),
// injects faults when asked to, and answers from the Store. API errors are
// Status objects with the real reasons and codes. Credentials are never
// logged.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "tests/kube-sim/store.h"
#include "tests/kube-sim/tls.h"

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace kubesim {

// kube-sim's request limits, as kube-apiserver's: a body over
// MaxRequestBodyBytes (3 MiB) gets 413 RequestEntityTooLarge, header bytes
// over Go's http.DefaultMaxHeaderBytes (1 MiB) get 431. A body over the
// limit is read and dropped up to 64 MiB more (so that kubectl, still
// sending, reads the 413), then refused; one announced longer than that is
// refused before it is read, and one announced too large at all before
// "100 Continue". The connection then closes, so no unread rest is ever
// taken for a request.

struct Limits {
  std::size_t max_body_bytes = 3u << 20;
  std::size_t max_header_bytes = 1u << 20;
};

// Routes every method of `http` to `handle`, with `limits` applied first (limits.cpp).
void route_with_limits(httplib::Server& http, const Limits& limits,
                       const std::function<void(const httplib::Request&, httplib::Response&)>& handle);

// The fault kinds --faults accepts (tests/README.md describes each).
extern const std::vector<std::string> k_fault_kinds;

struct ServerOptions {
  // Authentication: with none of token, token_file, basic and tls set, every
  // request is anonymous and allowed; otherwise a request that none of them
  // authenticates gets 401.
  std::string token;                 // a bearer token that authenticates; "" = none
  std::string token_file;            // bearer tokens, one per line, re-read on every request; "" = none
  std::string basic;                 // "USER:PASS" for Authorization: Basic; "" = none
  std::optional<tls::Material> tls;  // serve HTTPS; client certificates chaining to tls->ca authenticate
  double fault_rate = 0;             // share of API requests that fail (0..1), watches included
  std::vector<std::string> faults{"429", "500", "503", "reset"}; // kinds drawn from, uniformly
  std::string fault_paths;           // ECMAScript regex; only paths it matches anywhere get faults; "" = all
  int retry_after = 1;               // seconds, in a 429's Retry-After
  unsigned fault_seed = 1;           // faults are drawn from a seeded generator
  int latency_ms = 0;                // added to every request
  std::string proxy_pods_to;         // HOST:PORT a pod proxy reaches when the pod has no sim.kf.dev/proxy-to; "" = none (proxy.cpp)
  bool log = false;                  // one line per request on stderr
  Limits limits;                     // kube-apiserver's body and header limits (above)
};

class Server {
public:
  Server(Store& store, ServerOptions options);
  ~Server();
  // Binds host:port (0 = an ephemeral port); returns the port, or -1.
  int bind(const std::string& host, int port);
  void run();  // serves until stop()
  void stop();
  bool running() const;
  // Stops (true) or resumes (false) fault injection: SIGUSR1 / SIGUSR2 to
  // kube-sim, so that a campaign reads the end state without faults.
  void pause_faults(bool paused) { m_faults_paused = paused; }

private:
  void handle(const httplib::Request& req, httplib::Response& res);
  bool inject_fault(const httplib::Request& req, httplib::Response& res);
  // Who sent the request, for the log: "x509:CN", "token", "basic:USER" or
  // "anonymous"; nullopt when it is not authenticated.
  std::optional<std::string> authenticate(const httplib::Request& req) const;

  Store& m_store;
  ServerOptions m_options;
  std::unique_ptr<httplib::Server> m_http;
  std::string m_address;
  std::optional<std::regex> m_fault_paths;
  std::mutex m_fault_mu;
  std::mt19937 m_rng;
  std::atomic<bool> m_faults_paused{false};
};

// For serve_watch: how many events the watch `req` may send before its
// stream breaks off (an injected "watch-break" fault); 0 = no break. Set by
// Server::handle for the duration of the handler call on its thread.
int watch_break_after(const httplib::Request& req);

// Writes the response for an API error.
void send_error(httplib::Response& res, const ApiError& e);
void send_json(httplib::Response& res, int code, const Json& body);

} // namespace kubesim
