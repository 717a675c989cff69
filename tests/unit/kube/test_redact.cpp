#include <doctest/doctest.h>

#include "libkf/kube/redact.h"

using namespace kf;

TEST_CASE("redact: known credential values, wherever they appear") {
  CHECK(kube::redact("GET /api?x=SECRET-123 failed: SECRET-123", {"SECRET-123", ""}) ==
        "GET /api?x=<redacted> failed: <redacted>");
  CHECK(kube::redact("nothing to hide", {"hunter2"}) == "nothing to hide");
}

TEST_CASE("redact: headers and bearer tokens") {
  CHECK(kube::redact("Authorization: Bearer abc.def") == "Authorization: <redacted>");
  CHECK(kube::redact("proxy-authorization: Basic dXNlcjpwdw==") == "proxy-authorization: <redacted>");
  CHECK(kube::redact("> Cookie: session=1; id=2\r\n> Accept: */*") == "> Cookie: <redacted>\r\n> Accept: */*");
  CHECK(kube::redact("Set-Cookie: a=b") == "Set-Cookie: <redacted>");
  CHECK(kube::redact(R"({"Authorization":"Bearer x"})") == R"({"Authorization":<redacted>)");
  CHECK(kube::redact("sent bearer eyJhbGciOi.x.y, got 401") == "sent Bearer <redacted>, got 401");
}

TEST_CASE("redact: query parameters and URL passwords") {
  CHECK(kube::redact("GET /x?token=abc&limit=500") == "GET /x?token=<redacted>&limit=500");
  CHECK(kube::redact("GET /x?limit=1&access_token=abc") == "GET /x?limit=1&access_token=<redacted>");
  CHECK(kube::redact("id_token=a refresh_token=b password=c") == "id_token=<redacted> refresh_token=<redacted> password=<redacted>");
  CHECK(kube::redact("https://bob:pw@10.0.0.1:6443/api") == "https://bob:<redacted>@10.0.0.1:6443/api");
  // Not credentials: left alone.
  CHECK(kube::redact("GET /api/v1/configmaps?watch=true&resourceVersion=12&timeoutSeconds=300") ==
        "GET /api/v1/configmaps?watch=true&resourceVersion=12&timeoutSeconds=300");
  CHECK(kube::redact("tokenFile: /var/run/token, secretName: s, kind: Secret") ==
        "tokenFile: /var/run/token, secretName: s, kind: Secret");
}

TEST_CASE("redact: credential keys in JSON and YAML, private keys") {
  CHECK(kube::redact(R"({"token":"abc","password": "p\"w","user":"bob"})") ==
        R"({"token":"<redacted>","password": "<redacted>","user":"bob"})");
  CHECK(kube::redact("token: abc\nclient-key-data: LS0t\nclientKeyData: 'x'\nusername: bob") ==
        "token: <redacted>\nclient-key-data: <redacted>\nclientKeyData: '<redacted>'\nusername: bob");
  CHECK(kube::redact("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\nrest") ==
        "key:\n<redacted>\nrest");
  CHECK(kube::redact("cut off: -----BEGIN PRIVATE KEY-----\nMIIE") == "cut off: <redacted>");
}

// std::regex's recursive matcher overflowed the stack on these (a segfault of
// kf while it wrote an error or a -v line).
TEST_CASE("redact: a 1 MiB token or private key is redacted, not a crash") {
  const std::string big(1 << 20, 'x');
  CHECK(kube::redact("{\"token\": \"" + big + "\"}") == R"({"token": "<redacted>"})");
  CHECK(kube::redact("-----BEGIN RSA PRIVATE KEY-----\n" + big) == "<redacted>");
  CHECK(kube::redact(big) == big);
}
