#pragma once
// kube-sim's HTTP front: cpp-httplib routes every request to one handler
// that parses the Kubernetes URL layout, checks the bearer token, injects
// faults when asked to, and answers from the Store. API errors are Status
// objects with the real reasons and codes.

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/kube-sim/store.h"

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace kubesim {

struct ServerOptions {
  std::string token;                 // required bearer token; "" = no authentication
  double fault_rate = 0;             // share of API requests that fail (0..1)
  std::vector<std::string> faults{"429", "500", "503", "reset"}; // kinds drawn from, uniformly
  int retry_after = 1;               // seconds, in a 429's Retry-After
  unsigned fault_seed = 1;           // faults are drawn from a seeded generator
  int latency_ms = 0;                // added to every request
  bool log = false;                  // one line per request on stderr
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

private:
  void handle(const httplib::Request& req, httplib::Response& res);
  bool inject_fault(const httplib::Request& req, httplib::Response& res);

  Store& m_store;
  ServerOptions m_options;
  std::unique_ptr<httplib::Server> m_http;
  std::string m_address;
  std::mutex m_fault_mu;
  std::mt19937 m_rng;
};

// Writes the response for an API error.
void send_error(httplib::Response& res, const ApiError& e);
void send_json(httplib::Response& res, int code, const Json& body);

} // namespace kubesim
