#pragma once
// HTTP for the registry client (internal to libkf/image), over libcurl: one
// easy handle that keeps its connections alive between requests, bodies from
// memory or streamed from a file range, responses into memory or streamed
// into a file, and transfer progress callbacks. TLS verifies against the
// system CAs, or `ca_file` when given. Credentials are only ever passed in
// request fields (basic user/password, an Authorization header), never put
// into messages. One Http per thread.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "libkf/util/error.h"

namespace kf::image {

struct HttpRequest {
  std::string method = "GET";        // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;                   // absolute
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when body_file is empty
  std::filesystem::path body_file;   // else: stream this file's [body_offset, +body_length)
  std::uint64_t body_offset = 0, body_length = 0;
  std::filesystem::path save_to;     // a 2xx body goes to this file instead of memory
  std::string basic_user, basic_password; // HTTP basic auth, when user is set
  bool follow_redirects = false;     // GET of blobs: registries may redirect to storage
  std::function<void(std::uint64_t done)> on_progress; // bytes sent (uploads) or received (save_to)
  std::chrono::seconds timeout{0};   // 0 = none (large blobs); the connection itself times out after 30 s
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::vector<std::string>> headers; // names in lower case
  std::string body;
  std::string header(const std::string& name) const; // the last value, "" when absent
};

// A request that got no HTTP answer (refused, reset, TLS failure, timeout).
class HttpTransportError : public Error {
public:
  using Error::Error;
};

struct HttpOptions {
  std::string ca_file;  // "" = the system's CA bundle
};

class Http {
public:
  explicit Http(HttpOptions options = {});
  ~Http();
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;
  HttpResponse perform(const HttpRequest& request);

private:
  HttpOptions m_options;
  void* m_curl = nullptr; // CURL*
};

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& value);

} // namespace kf::image
