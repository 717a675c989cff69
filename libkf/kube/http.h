#pragma once
// HTTP to one API server with libcurl (internal to libkf/kube): a pool of
// easy handles that keep their connections alive between requests
// (HTTP/2 when the server offers it over TLS, TCP_NODELAY), TLS and client
// certificates from the ClusterConfig, and the user's credentials (bearer
// token, token file, basic auth, or an exec plugin's ExecCredential, cached
// until it expires). Credentials go into request headers only, never into
// messages. Thread-safe.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "libkf/kube/kubeconfig.h"
#include "libkf/util/error.h"

namespace kf::kube {

struct HttpRequest {
  std::string method = "GET";
  std::string target;                    // path and query: /api/v1/namespaces?limit=500
  std::string body;
  std::string content_type;              // "" = none
  std::string accept = "application/json";
  std::chrono::seconds timeout{60};
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string retry_after; // the Retry-After header, when present
};

// A request that got no HTTP answer (refused, reset, timed out, TLS failure).
class TransportError : public Error {
public:
  using Error::Error;
};

class Transport {
public:
  explicit Transport(ClusterConfig config);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  HttpResponse perform(const HttpRequest& request);
  // After a 401: re-read the token file and run the exec plugin again.
  void refresh_credentials();
  const ClusterConfig& config() const { return m_config; }

private:
  void* acquire(); // CURL*
  void release(void* handle);
  std::string bearer_token();

  ClusterConfig m_config;
  std::mutex m_mu;
  std::vector<void*> m_idle; // CURL* easy handles, each with its open connection
  std::string m_token;       // the current bearer token ("" = none)
  std::chrono::system_clock::time_point m_token_expiry = std::chrono::system_clock::time_point::max();
  bool m_token_loaded = false;
  std::string m_exec_cert, m_exec_key; // client certificate from the exec plugin
};

// Runs an exec credential plugin; returns the ExecCredential's status
// (token, clientCertificateData, clientKeyData, expirationTimestamp).
// Throws kf::Error naming the command and its exit status.
struct ExecCredential {
  std::string token, cert_data, key_data;
  std::chrono::system_clock::time_point expiry = std::chrono::system_clock::time_point::max();
};
ExecCredential run_exec_plugin(const ExecConfig& exec);

} // namespace kf::kube
