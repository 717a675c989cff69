#include "libkf/kube/http.h"

#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/version.h"

namespace kf::kube {

namespace {

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

namespace {

http::ClientOptions client_options(const ClusterConfig& c, const Endpoint& e) {
  http::ClientOptions o;
  o.tls = {c.insecure, c.ca_file, c.ca_data, c.cert_file, c.cert_data, c.key_file, c.key_data};
  o.proxy = c.proxy_url;
  o.connect_to = e.connect_to;
  o.http2 = true;
  o.connect_timeout = std::chrono::seconds(10);
  return o;
}

} // namespace

Transport::Transport(ClusterConfig config)
    : m_config(std::move(config)), m_endpoint(endpoint_of(m_config)), m_client(client_options(m_config, m_endpoint)) {}

Transport::~Transport() = default;

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

http::Request Transport::to_http(const HttpRequest& req) {
  http::Request r;
  r.method = req.method;
  r.url = m_endpoint.base_url + req.target;
  r.body = req.body;
  r.timeout = req.timeout;
  r.stall_timeout = std::chrono::seconds(0);
  r.headers.push_back("Accept: " + req.accept);
  if (!req.content_type.empty()) r.headers.push_back("Content-Type: " + req.content_type);
  const std::string token = bearer_token();
  if (!token.empty()) r.headers.push_back("Authorization: Bearer " + token);
  else if (!m_config.username.empty()) {
    r.basic_user = m_config.username;
    r.basic_password = m_config.password;
  }
  const std::lock_guard lock(m_mu);
  r.cert_data = m_exec_cert;
  r.key_data = m_exec_key;
  return r;
}

HttpResponse Transport::perform(const HttpRequest& req) {
  const auto res = m_client.perform(to_http(req));
  return {res.status, res.body, res.header("retry-after")};
}

StreamResponse Transport::perform_stream(const HttpRequest& req, const std::function<bool(std::string_view)>& on_chunk,
                                         const std::function<bool()>& should_stop) {
  const auto res = m_client.perform_stream(to_http(req), on_chunk, should_stop);
  return {res.status, res.body, res.header("retry-after"), res.stopped};
}

} // namespace kf::kube
