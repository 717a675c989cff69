#include <doctest/doctest.h>

#include "libkf/kube/http.h"

using namespace kf;

namespace {

kube::Endpoint endpoint(const std::string& server, const std::string& tls_server_name) {
  kube::ClusterConfig c;
  c.server = server;
  c.tls_server_name = tls_server_name;
  return kube::endpoint_of(c);
}

} // namespace

TEST_CASE("http: tls-server-name names the host for SNI and the certificate, CONNECT_TO reaches the server") {
  CHECK(endpoint("https://10.0.0.1:6443", "").base_url == "https://10.0.0.1:6443");
  CHECK(endpoint("https://10.0.0.1:6443", "").connect_to.empty());
  const auto e = endpoint("https://10.0.0.1:6443/k8s", "kube.internal");
  CHECK(e.base_url == "https://kube.internal:6443/k8s");
  CHECK(e.connect_to == "kube.internal:6443:10.0.0.1:6443");
  CHECK(endpoint("https://api.example.com", "kube.internal").connect_to == "kube.internal:443:api.example.com:443");
  CHECK(endpoint("https://[fd00::1]:6443", "kube.internal").connect_to == "kube.internal:6443:[fd00::1]:6443");
  CHECK(endpoint("http://10.0.0.1:8080", "kube.internal").base_url == "http://10.0.0.1:8080"); // no TLS, nothing to name
}
