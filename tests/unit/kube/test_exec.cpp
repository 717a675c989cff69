#include <doctest/doctest.h>

#include <filesystem>

#include "libkf/kube/http.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
namespace stdfs = std::filesystem;

namespace {

kube::ExecConfig plugin(const test::TempDir& tmp, const std::string& script) {
  const std::string path = tmp.write("plugin.sh", "#!/bin/sh\n" + script);
  stdfs::permissions(path, stdfs::perms::owner_all);
  kube::ExecConfig e;
  e.api_version = "client.authentication.k8s.io/v1";
  e.command = path;
  return e;
}

} // namespace

TEST_CASE("exec plugin: args, env and KUBERNETES_EXEC_INFO reach it, the ExecCredential comes back") {
  test::TempDir tmp;
  auto e = plugin(tmp, R"(info=$(printf '%s' "$KUBERNETES_EXEC_INFO" | tr -d ' ')
case "$info" in *'"kind":"ExecCredential"'*'"interactive":false'*) ok=info ;; *) ok=noinfo ;; esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s-%s","expirationTimestamp":"2030-01-02T03:04:05Z"}}' "$1" "$A" "$ok"
)");
  e.args = {"arg1"};
  e.env = {{"A", "b"}};
  const auto cred = kube::run_exec_plugin(e);
  CHECK(cred.token == "arg1-b-info");
  CHECK(cred.expiry == std::chrono::system_clock::from_time_t(1893553445));
}

TEST_CASE("exec plugin: errors name the command, never its output") {
  test::TempDir tmp;
  auto e = plugin(tmp, "echo secret-ish output; exit 3\n");
  CHECK_THROWS_WITH_AS(kube::run_exec_plugin(e), ("exec credential plugin " + e.command + " failed (exit status 3)").c_str(), Error);
  e = plugin(tmp, "echo not json\n");
  CHECK_THROWS_WITH_AS(kube::run_exec_plugin(e),
                       ("exec credential plugin " + e.command + ": its output is not an ExecCredential (not JSON)").c_str(), Error);
  // A number past a double's range: nlohmann's out_of_range, not a parse_error, escaped as such.
  e = plugin(tmp, "echo '{\"kind\": \"ExecCredential\", \"n\": 1e+99999}'\n");
  CHECK_THROWS_WITH_AS(kube::run_exec_plugin(e),
                       ("exec credential plugin " + e.command + ": its output is not an ExecCredential (not JSON)").c_str(), Error);
  e = plugin(tmp, R"(echo '{"kind":"ExecCredential","status":{}}')");
  CHECK_THROWS_WITH_AS(kube::run_exec_plugin(e),
                       ("exec credential plugin " + e.command +
                        ": its ExecCredential has neither status.token nor status.clientCertificateData and clientKeyData").c_str(),
                       Error);
  e.command = (tmp.path / "missing").string();
  CHECK_THROWS_WITH_AS(kube::run_exec_plugin(e),
                       ("exec credential plugin " + e.command + ": cannot run it (not found or not executable)").c_str(), Error);
}
