#pragma once
// kf's one HTTP layer, over libcurl (opened on first use, libkf/lib/curl.h),
// for everything kf sends: the Kubernetes API (libkf/kube/http.cpp adds the
// kubeconfig's endpoint and credentials), OCI registries (libkf/image),
// kf predict and kf serve's request counter.
//
// A Client keeps a pool of easy handles, each with its open connection, so
// requests reuse connections (HTTP/2 over TLS when asked and offered;
// TCP_NODELAY and keepalive always). TLS verifies against the system CAs or
// the given ones, with an optional client certificate. Bodies come from
// memory or a file range; answers go to memory, to a file (save_to), or, on
// a stream, to a callback as they arrive. Response headers are kept (names in
// lower case). A request that got no HTTP answer throws TransportError;
// retrying is the caller's policy (it knows what is idempotent). Credentials
// are only ever put into request fields, never into messages. Thread-safe.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/error.h"

namespace kf::http {

struct Tls {
  bool insecure = false;                // no verification at all (kubeconfig's insecure-skip-tls-verify)
  std::string ca_file, ca_data;         // "" = the system's CA bundle
  std::string cert_file, cert_data;     // client certificate (PEM), file or bytes
  std::string key_file, key_data;       // its key
};

struct ClientOptions {
  Tls tls;
  std::string proxy;                    // CURLOPT_PROXY ("" = curl's environment variables)
  std::string connect_to;               // a CURLOPT_CONNECT_TO entry "HOST:PORT:CONNECT-HOST:CONNECT-PORT"
  bool http2 = false;                   // HTTP/2 over TLS when the server offers it
  std::chrono::seconds connect_timeout{30};
};

struct Request {
  std::string method = "GET";           // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;                      // absolute
  std::vector<std::string> headers;     // "Name: value"
  std::string body;                     // sent when body_file is empty
  std::filesystem::path body_file;      // else: stream this file's [body_offset, +body_length)
  std::uint64_t body_offset = 0, body_length = 0;
  std::filesystem::path save_to;        // a 2xx body goes to this file instead of memory
  std::string basic_user, basic_password; // HTTP basic auth, when user is set
  std::string cert_data, key_data;      // a client certificate for this request only (an exec plugin's)
  bool follow_redirects = false;        // GET of blobs: registries may redirect to storage
  std::function<void(std::uint64_t done)> on_progress; // bytes sent (uploads) or received (save_to)
  std::chrono::seconds timeout{0};      // the whole request (not a stream); 0 = none (large blobs)
  std::chrono::seconds stall_timeout{60}; // under 1 byte/s this long is an error; 0 = none (not on streams)
};

struct Response {
  long status = 0;
  std::map<std::string, std::vector<std::string>> headers; // names in lower case
  std::string body;     // in memory: the whole body; a stream's or a save_to's non-2xx body
  bool stopped = false; // a stream that on_chunk or should_stop ended
  std::string header(const std::string& name) const; // the last value, "" when absent
};

// A request that got no HTTP answer (refused, reset, timed out, TLS failure).
// permanent(): retrying cannot help (the server's certificate does not verify,
// the client certificate or CA file is unusable).
class TransportError : public Error {
public:
  explicit TransportError(const std::string& message, bool permanent = false) : Error(message), m_permanent(permanent) {}
  bool permanent() const { return m_permanent; }

private:
  bool m_permanent;
};

class Client {
public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Response perform(const Request& request);
  // A long-running request (a watch, a followed log) on a connection of its
  // own: a 2xx body is passed to on_chunk as it arrives; no overall timeout
  // and no stall limit (TCP keepalive finds a dead peer). Ends when the
  // server ends the body, when on_chunk returns false, or when should_stop
  // (may be empty; asked at least once a second, also while idle) returns true.
  Response perform_stream(const Request& request, const std::function<bool(std::string_view)>& on_chunk,
                          const std::function<bool()>& should_stop);

private:
  void* acquire(); // CURL*
  void release(void* handle);

  ClientOptions m_options;
  std::mutex m_mu;
  std::vector<void*> m_idle;
};

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& value);

// curl's "Failed to connect to h port p after 3 ms: ..." without the timing, for messages tests pin.
std::string without_timing(std::string message);

} // namespace kf::http
