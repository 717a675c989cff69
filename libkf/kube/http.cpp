#include "libkf/kube/http.h"

#include "libkf/lib/curl.h"

#include <algorithm>
#include <cctype>
#include <exception>

#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/version.h"

namespace kf::kube {

namespace {

// Certificate problems: the same request fails the same way every time.
bool is_permanent(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
         rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_CRL_BADFILE;
}

std::once_flag g_curl_init;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// HEADERDATA is the std::string that receives Retry-After.
std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  const std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string key = line.substr(0, colon);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (key == "retry-after") *static_cast<std::string*>(user) = str::trim(line.substr(colon + 1));
  }
  return size * n;
}

void blob(CURL* h, CURLoption option, const std::string& data) {
  curl_blob b{const_cast<char*>(data.data()), data.size(), CURL_BLOB_COPY};
  lib::curl().easy_setopt(h, option, &b);
}

// perform_stream's state, reached from curl's callbacks.
struct Stream {
  CURL* handle = nullptr;
  StreamResponse* res = nullptr;
  const std::function<bool(std::string_view)>* on_chunk = nullptr;
  const std::function<bool()>* should_stop = nullptr;
  std::exception_ptr error; // thrown by a callback; rethrown after curl returns
};

std::size_t on_stream_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Stream*>(user);
  long status = 0;
  lib::curl().easy_getinfo(s->handle, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    s->res->body.append(data, size * n);
    return size * n;
  }
  try {
    if ((*s->on_chunk)(std::string_view(data, size * n))) return size * n;
  } catch (...) {
    s->error = std::current_exception();
  }
  s->res->stopped = true;
  return 0; // curl ends the transfer with CURLE_WRITE_ERROR
}

int on_stream_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* s = static_cast<Stream*>(user);
  if (!*s->should_stop) return 0;
  try {
    if (!(*s->should_stop)()) return 0;
  } catch (...) {
    s->error = std::current_exception();
  }
  s->res->stopped = true;
  return 1; // CURLE_ABORTED_BY_CALLBACK
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

} // namespace

Endpoint endpoint_of(const ClusterConfig& c) {
  const std::string scheme = "https://";
  if (c.tls_server_name.empty() || !str::starts_with(c.server, scheme)) return {c.server, ""};
  const std::string rest = c.server.substr(scheme.size());
  const std::string authority = rest.substr(0, rest.find('/'));
  const std::string path = rest.substr(authority.size());
  std::string host = authority, port = "443";
  const auto close = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  return {scheme + bracketed(c.tls_server_name) + ":" + port + path,
          c.tls_server_name + ":" + port + ":" + bracketed(host) + ":" + port};
}

// The strings and header list a handle points at while a request runs.
struct Transport::Prepared {
  std::string url, accept, agent, type, auth;
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  char error[CURL_ERROR_SIZE] = {0};
  Prepared() = default;
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  ~Prepared() {
    lib::curl().slist_free_all(headers);
    lib::curl().slist_free_all(connect_to);
  }
  std::string failure(CURLcode rc) const { return error[0] ? error : lib::curl().easy_strerror(rc); }
};

Transport::Transport(ClusterConfig config) : m_config(std::move(config)), m_endpoint(endpoint_of(m_config)) {
  std::call_once(g_curl_init, [] { lib::curl().global_init(CURL_GLOBAL_DEFAULT); });
}

Transport::~Transport() {
  for (void* h : m_idle) lib::curl().easy_cleanup(static_cast<CURL*>(h));
}

void* Transport::acquire() {
  {
    const std::lock_guard lock(m_mu);
    if (!m_idle.empty()) {
      void* h = m_idle.back();
      m_idle.pop_back();
      return h;
    }
  }
  CURL* h = lib::curl().easy_init();
  if (!h) throw Error("cannot initialise libcurl");
  return h;
}

void Transport::release(void* handle) {
  const std::lock_guard lock(m_mu);
  m_idle.push_back(handle);
}

void Transport::refresh_credentials() {
  const std::lock_guard lock(m_mu);
  m_token_loaded = false;
}

std::vector<std::string> Transport::secrets() {
  const std::lock_guard lock(m_mu);
  std::vector<std::string> out;
  for (const std::string* s : {&m_config.token, &m_config.password, &m_config.key_data, &m_token, &m_exec_key})
    if (!s->empty()) out.push_back(*s);
  return out;
}

std::string Transport::bearer_token() {
  const std::lock_guard lock(m_mu);
  if (m_token_loaded && std::chrono::system_clock::now() < m_token_expiry) return m_token;
  m_token_expiry = std::chrono::system_clock::time_point::max();
  if (m_config.exec) {
    const auto cred = run_exec_plugin(*m_config.exec);
    m_token = cred.token;
    m_token_expiry = cred.expiry;
    m_exec_cert = cred.cert_data;
    m_exec_key = cred.key_data;
  } else if (!m_config.token.empty()) {
    m_token = m_config.token;
  } else if (!m_config.token_file.empty()) {
    m_token = str::trim(fs::read_file(m_config.token_file));
    m_token_expiry = std::chrono::system_clock::now() + std::chrono::minutes(1); // rotated service-account tokens
  }
  m_token_loaded = true;
  return m_token;
}

void Transport::prepare(void* handle, const HttpRequest& req, Prepared& p) {
  const std::string token = bearer_token();
  std::string exec_cert, exec_key;
  {
    const std::lock_guard lock(m_mu);
    exec_cert = m_exec_cert;
    exec_key = m_exec_key;
  }
  CURL* h = static_cast<CURL*>(handle);
  lib::curl().easy_reset(h); // options only; the connection cache stays
  p.url = m_endpoint.base_url + req.target;
  lib::curl().easy_setopt(h, CURLOPT_URL, p.url.c_str());
  if (!m_endpoint.connect_to.empty()) {
    p.connect_to = lib::curl().slist_append(nullptr, m_endpoint.connect_to.c_str());
    lib::curl().easy_setopt(h, CURLOPT_CONNECT_TO, p.connect_to);
  }
  lib::curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  lib::curl().easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  lib::curl().easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  lib::curl().easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
  lib::curl().easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 15L);
  lib::curl().easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  lib::curl().easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  if (req.method == "GET") {
    lib::curl().easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    lib::curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method != "DELETE") {
      lib::curl().easy_setopt(h, CURLOPT_POSTFIELDS, req.body.c_str());
      lib::curl().easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
  }
  const ClusterConfig& c = m_config;
  if (c.insecure) {
    lib::curl().easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    lib::curl().easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!c.ca_file.empty()) lib::curl().easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
  if (!c.ca_data.empty()) blob(h, CURLOPT_CAINFO_BLOB, c.ca_data);
  if (!c.cert_file.empty()) lib::curl().easy_setopt(h, CURLOPT_SSLCERT, c.cert_file.c_str());
  if (!c.key_file.empty()) lib::curl().easy_setopt(h, CURLOPT_SSLKEY, c.key_file.c_str());
  const std::string& cert = exec_cert.empty() ? c.cert_data : exec_cert;
  const std::string& key = exec_key.empty() ? c.key_data : exec_key;
  if (!cert.empty()) blob(h, CURLOPT_SSLCERT_BLOB, cert);
  if (!key.empty()) blob(h, CURLOPT_SSLKEY_BLOB, key);
  if (!c.proxy_url.empty()) lib::curl().easy_setopt(h, CURLOPT_PROXY, c.proxy_url.c_str());
  if (!c.username.empty() && token.empty()) {
    lib::curl().easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    lib::curl().easy_setopt(h, CURLOPT_USERNAME, c.username.c_str());
    lib::curl().easy_setopt(h, CURLOPT_PASSWORD, c.password.c_str());
  }
  p.accept = "Accept: " + req.accept;
  p.agent = std::string("User-Agent: kf/") + k_version;
  p.headers = lib::curl().slist_append(p.headers, p.accept.c_str());
  p.headers = lib::curl().slist_append(p.headers, p.agent.c_str());
  if (!req.content_type.empty()) p.headers = lib::curl().slist_append(p.headers, (p.type = "Content-Type: " + req.content_type).c_str());
  if (!token.empty()) p.headers = lib::curl().slist_append(p.headers, (p.auth = "Authorization: Bearer " + token).c_str());
  lib::curl().easy_setopt(h, CURLOPT_HTTPHEADER, p.headers);
  lib::curl().easy_setopt(h, CURLOPT_ERRORBUFFER, p.error);
}

HttpResponse Transport::perform(const HttpRequest& req) {
  CURL* h = static_cast<CURL*>(acquire());
  HttpResponse res;
  CURLcode rc;
  std::string failure;
  {
    Prepared p;
    try {
      prepare(h, req, p);
    } catch (...) {
      release(h);
      throw;
    }
    lib::curl().easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(req.timeout.count()));
    lib::curl().easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    lib::curl().easy_setopt(h, CURLOPT_WRITEDATA, &res.body);
    lib::curl().easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    lib::curl().easy_setopt(h, CURLOPT_HEADERDATA, &res.retry_after);
    rc = lib::curl().easy_perform(h);
    lib::curl().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res.status);
    if (rc != CURLE_OK) failure = p.failure(rc);
    lib::curl().easy_reset(h); // drop the pointers into p before it goes
  }
  if (rc != CURLE_OK) {
    lib::curl().easy_cleanup(h); // its connection is in an unknown state
    throw TransportError(failure, is_permanent(rc));
  }
  release(h);
  return res;
}

StreamResponse Transport::perform_stream(const HttpRequest& req, const std::function<bool(std::string_view)>& on_chunk,
                                         const std::function<bool()>& should_stop) {
  // A handle of its own: the stream's connection is not returned to the pool.
  const std::unique_ptr<CURL, void (*)(CURL*)> h(lib::curl().easy_init(), lib::curl().easy_cleanup);
  if (!h) throw Error("cannot initialise libcurl");
  StreamResponse res;
  Stream s{h.get(), &res, &on_chunk, &should_stop, nullptr};
  Prepared p;
  prepare(h.get(), req, p);
  lib::curl().easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_stream_body);
  lib::curl().easy_setopt(h.get(), CURLOPT_WRITEDATA, &s);
  lib::curl().easy_setopt(h.get(), CURLOPT_HEADERFUNCTION, on_header);
  lib::curl().easy_setopt(h.get(), CURLOPT_HEADERDATA, &res.retry_after);
  lib::curl().easy_setopt(h.get(), CURLOPT_NOPROGRESS, 0L);
  lib::curl().easy_setopt(h.get(), CURLOPT_XFERINFOFUNCTION, on_stream_progress);
  lib::curl().easy_setopt(h.get(), CURLOPT_XFERINFODATA, &s);
  const CURLcode rc = lib::curl().easy_perform(h.get());
  lib::curl().easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &res.status);
  if (s.error) std::rethrow_exception(s.error);
  if (rc != CURLE_OK && !res.stopped) throw TransportError(p.failure(rc), is_permanent(rc));
  return res;
}

} // namespace kf::kube
