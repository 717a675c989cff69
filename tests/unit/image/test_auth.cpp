#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "libkf/image/auth.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::image;
namespace stdfs = std::filesystem;

namespace {

// Puts `dir` first on PATH for the test's lifetime.
struct PathPrefix {
  std::string old;
  explicit PathPrefix(const stdfs::path& dir) {
    const char* p = std::getenv("PATH");
    old = p ? p : "";
    ::setenv("PATH", (dir.string() + ":" + old).c_str(), 1);
  }
  ~PathPrefix() { ::setenv("PATH", old.c_str(), 1); }
};

void write_helper(const stdfs::path& dir, const std::string& name, const std::string& script) {
  fs::write_file_atomic(dir / ("docker-credential-" + name), "#!/bin/sh\n" + script, stdfs::perms(0755));
}

} // namespace

TEST_CASE("docker config: auths holds base64 user:password — keys may carry a scheme and a path") {
  test::TempDir t;
  // "kf:s3cr:et" -> a13zM2NyOmV0
  t.write("config.json", R"({"auths": {
    "https://127.0.0.1:5001/v2/": {"auth": "a2Y6czNjcjpldA=="},
    "https://index.docker.io/v1/": {"username": "hub", "password": "pw"},
    "ghcr.io": {"identitytoken": "refresh-me"}}})");
  AuthOptions o{t.path.string()};
  const auto c = find_credentials("127.0.0.1:5001", o);
  REQUIRE(c);
  CHECK(c->username == "kf");
  CHECK(c->password == "s3cr:et");
  CHECK(c->source == (t.path / "config.json").string());
  const auto hub = find_credentials("docker.io", o);
  REQUIRE(hub);
  CHECK(hub->username == "hub");
  CHECK(find_credentials("registry-1.docker.io", o)->password == "pw");
  CHECK(find_credentials("ghcr.io", o)->identity_token == "refresh-me");
  CHECK_FALSE(find_credentials("127.0.0.1:5000", o));
  CHECK(docker_config_path(o) == (t.path / "config.json").string());
  CHECK_FALSE(find_credentials("x.io", AuthOptions{(t.path / "none").string()}));
}

TEST_CASE("docker config: malformed files are errors that never show a secret") {
  test::TempDir t;
  AuthOptions o{t.path.string()};
  t.write("config.json", R"({"auths": {"r.io": {"auth": "bm8tY29sb24="}}})"); // "no-colon"
  CHECK_THROWS_WITH_AS(find_credentials("r.io", o), ((t.path / "config.json").string() + ": auths.r.io.auth: not base64 of \"user:password\"").c_str(), Error);
  t.write("config.json", "{not json");
  CHECK_THROWS_AS(find_credentials("r.io", o), Error);
}

TEST_CASE("docker config: credHelpers and credsStore run docker-credential-<name> get with the server URL") {
  test::TempDir t;
  const stdfs::path bin = t.path / "bin";
  stdfs::create_directories(bin);
  // The helper echoes the URL it was given into the user name, to check the protocol.
  write_helper(bin, "fake", R"(test "$1" = get || exit 3
read url
case "$url" in
  nothing.io) echo "credentials not found in native keychain"; exit 1 ;;
  broken.io) echo "the keychain is locked"; exit 1 ;;
  token.io) echo '{"ServerURL":"token.io","Username":"<token>","Secret":"idtok"}' ;;
  *) printf '{"ServerURL":"%s","Username":"u-%s","Secret":"helper-secret"}' "$url" "$url" ;;
esac
)");
  PathPrefix path(bin);
  t.write("config.json", R"({"credHelpers": {"127.0.0.1:5001": "fake", "missing.io": "nope"},
                             "credsStore": "fake",
                             "auths": {"127.0.0.1:5001": {"auth": "a2Y6eA=="}}})");
  AuthOptions o{t.path.string()};
  const auto c = find_credentials("127.0.0.1:5001", o);
  REQUIRE(c);
  CHECK(c->username == "u-127.0.0.1:5001"); // the helper wins over auths
  CHECK(c->password == "helper-secret");
  CHECK(c->source == "docker-credential-fake");
  CHECK(find_credentials("docker.io", o)->username == "u-https://index.docker.io/v1/"); // credsStore
  CHECK(find_credentials("token.io", o)->identity_token == "idtok");
  CHECK_FALSE(find_credentials("nothing.io", o));
  CHECK_THROWS_WITH_AS(find_credentials("broken.io", o),
                       "docker-credential-fake get failed for broken.io (exit status 1): the keychain is locked", Error);
  CHECK_THROWS_WITH_AS(find_credentials("missing.io", o),
                       ("docker-credential-nope (credHelpers in " + (t.path / "config.json").string() +
                        ") cannot be run: install it or remove it from the docker config").c_str(),
                       Error);
}

TEST_CASE("WWW-Authenticate: Bearer and Basic challenges, quoted values, several challenges") {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].param("realm") == "https://auth.docker.io/token");
  CHECK(c[0].param("service") == "registry.docker.io");
  CHECK(c[0].param("scope") == "repository:library/debian:pull");
  CHECK(c[0].param("error").empty());

  c = parse_www_authenticate(R"(Basic realm="kf-test")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "basic");
  CHECK(c[0].param("realm") == "kf-test");

  c = parse_www_authenticate(R"(Negotiate abc==, basic Realm=plain, BEARER realm="r\"q", error="insufficient_scope")");
  REQUIRE(c.size() == 3);
  CHECK(c[0].scheme == "negotiate");
  CHECK(c[1].scheme == "basic");
  CHECK(c[1].param("realm") == "plain");
  CHECK(c[2].scheme == "bearer");
  CHECK(c[2].param("realm") == "r\"q");
  CHECK(c[2].param("error") == "insufficient_scope");

  CHECK(parse_www_authenticate("").empty());
  c = parse_www_authenticate(R"(Bearer realm="unterminated)");
  REQUIRE(c.size() == 1);
  CHECK(c[0].param("realm") == "unterminated");
}
