#include "libkf/kube/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/version.h"

namespace kf::kube {

namespace {

std::once_flag g_curl_init;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  const std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string key = line.substr(0, colon);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (key == "retry-after") static_cast<HttpResponse*>(user)->retry_after = str::trim(line.substr(colon + 1));
  }
  return size * n;
}

void blob(CURL* h, CURLoption option, const std::string& data) {
  curl_blob b{const_cast<char*>(data.data()), data.size(), CURL_BLOB_COPY};
  curl_easy_setopt(h, option, &b);
}

} // namespace

Transport::Transport(ClusterConfig config) : m_config(std::move(config)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Transport::~Transport() {
  for (void* h : m_idle) curl_easy_cleanup(static_cast<CURL*>(h));
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
  CURL* h = curl_easy_init();
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
  }
  m_token_loaded = true;
  return m_token;
}

HttpResponse Transport::perform(const HttpRequest& req) {
  const std::string token = bearer_token();
  std::string exec_cert, exec_key;
  {
    const std::lock_guard lock(m_mu);
    exec_cert = m_exec_cert;
    exec_key = m_exec_key;
  }
  CURL* h = static_cast<CURL*>(acquire());
  curl_easy_reset(h); // options only; the connection cache stays
  HttpResponse res;
  const std::string url = m_config.server + req.target;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &res);
  if (req.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method != "DELETE") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
  }
  const ClusterConfig& c = m_config;
  if (c.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!c.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
  if (!c.ca_data.empty()) blob(h, CURLOPT_CAINFO_BLOB, c.ca_data);
  if (!c.cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, c.cert_file.c_str());
  if (!c.key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, c.key_file.c_str());
  const std::string& cert = exec_cert.empty() ? c.cert_data : exec_cert;
  const std::string& key = exec_key.empty() ? c.key_data : exec_key;
  if (!cert.empty()) blob(h, CURLOPT_SSLCERT_BLOB, cert);
  if (!key.empty()) blob(h, CURLOPT_SSLKEY_BLOB, key);
  if (!c.proxy_url.empty()) curl_easy_setopt(h, CURLOPT_PROXY, c.proxy_url.c_str());
  if (!c.username.empty() && token.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(h, CURLOPT_USERNAME, c.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, c.password.c_str());
  }
  curl_slist* headers = nullptr;
  const std::string accept = "Accept: " + req.accept;
  const std::string agent = std::string("User-Agent: kf/") + k_version;
  headers = curl_slist_append(headers, accept.c_str());
  headers = curl_slist_append(headers, agent.c_str());
  std::string type, auth;
  if (!req.content_type.empty()) headers = curl_slist_append(headers, (type = "Content-Type: " + req.content_type).c_str());
  if (!token.empty()) headers = curl_slist_append(headers, (auth = "Authorization: Bearer " + token).c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res.status);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(h); // its connection is in an unknown state
    throw TransportError(std::string(error[0] ? error : curl_easy_strerror(rc)));
  }
  release(h);
  return res;
}

} // namespace kf::kube
