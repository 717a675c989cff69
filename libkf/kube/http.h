#pragma once
// HTTP to one API server (internal to libkf/kube), over kf's HTTP layer
// (libkf/http: pooled connections, HTTP/2 when the server offers it over
// TLS): TLS and client certificates from the ClusterConfig, and the user's
// credentials (bearer
// token, token file (read again every minute, as client-go does), basic
// auth, or an exec plugin's ExecCredential, cached until it expires).
// Credentials go into request headers only, never into messages.
// kubeconfig's proxy-url becomes CURLOPT_PROXY; tls-server-name becomes the
// URL's host with CURLOPT_CONNECT_TO still reaching the real one (so SNI and
// certificate checks use it). Thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/http/http.h"
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

// What perform_stream() got: a 2xx body went to on_chunk, any other one is in `body`.
struct StreamResponse {
  long status = 0;
  std::string body;        // the body of a non-2xx answer (a Status)
  std::string retry_after;
  bool stopped = false;    // on_chunk or should_stop asked to stop (the stream did not end by itself)
};

// Where curl connects for a server: the URL prefix to request and, with a
// tls-server-name, the CURLOPT_CONNECT_TO entry that reaches the real host.
struct Endpoint {
  std::string base_url;   // "https://kube.example.com:6443"
  std::string connect_to; // "kube.example.com:6443:10.0.0.1:6443", or "" when not needed
};
Endpoint endpoint_of(const ClusterConfig& config);

// A request that got no HTTP answer (libkf/http's).
using TransportError = http::TransportError;

class Transport {
public:
  explicit Transport(ClusterConfig config);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  HttpResponse perform(const HttpRequest& request);
  // A long-running request (a watch, a followed log) on its own connection:
  // a 2xx body is passed to on_chunk as it arrives; no overall timeout and no
  // low-speed limit (TCP keepalive finds a dead peer). Ends when the server
  // ends the body, when on_chunk returns false, or when should_stop (may be
  // empty; asked at least once a second, also while idle) returns true.
  // Throws TransportError when the connection fails or breaks.
  StreamResponse perform_stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_chunk,
                                const std::function<bool()>& should_stop);
  // After a 401: re-read the token file and run the exec plugin again.
  void refresh_credentials();
  const ClusterConfig& config() const { return m_config; }
  // Every credential value this transport knows (token, password, key data),
  // for redacting them from debug lines.
  std::vector<std::string> secrets();

private:
  std::string bearer_token();
  http::Request to_http(const HttpRequest& request);

  ClusterConfig m_config;
  Endpoint m_endpoint;
  http::Client m_client;
  std::mutex m_mu;
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
