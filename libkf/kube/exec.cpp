// Exec credential plugins (client.authentication.k8s.io/v1): kf runs the
// command with KUBERNETES_EXEC_INFO set, reads an ExecCredential from its
// stdout and keeps it until status.expirationTimestamp. The plugin's
// stderr goes to kf's stderr, as with kubectl.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string_view>

#include "libkf/kube/http.h"
#include "libkf/util/clock.h"
#include "libkf/util/json.h"

namespace kf::kube {

namespace {

std::chrono::system_clock::time_point parse_time(const std::string& s) {
  const auto t = parse_rfc3339(s);
  return t ? std::chrono::system_clock::from_time_t(static_cast<std::time_t>(*t)) : std::chrono::system_clock::time_point::max();
}

} // namespace

ExecCredential run_exec_plugin(const ExecConfig& exec) {
  const std::string api_version = exec.api_version.empty() ? "client.authentication.k8s.io/v1" : exec.api_version;
  const std::string info = Json{{"apiVersion", api_version}, {"kind", "ExecCredential"},
                                {"spec", {{"interactive", false}}}}.dump();
  // Everything the child needs is built before fork(): only async-signal-safe
  // calls may follow it in a process with other threads (no setenv, no malloc).
  std::vector<std::string> env_s{"KUBERNETES_EXEC_INFO=" + info};
  for (const auto& [k, v] : exec.env) env_s.push_back(k + "=" + v);
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    bool overridden = false;
    for (const auto& s : env_s) overridden = overridden || std::string_view(s).substr(0, name.size()) == name;
    if (!overridden) env_s.emplace_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_s{exec.command};
  argv_s.insert(argv_s.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  // O_CLOEXEC: a process another thread forks meanwhile must not keep the write end open.
  if (::pipe2(out, O_CLOEXEC) != 0) throw Error(std::string("exec plugin: pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(out[0]);
    ::close(out[1]);
    throw Error(std::string("exec plugin: fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::dup2(out[1], 1); // dup2 clears O_CLOEXEC on fd 1
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string who = "exec credential plugin " + exec.command;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) throw Error(who + ": cannot run it (not found or not executable)");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(who + " failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
  Json cred;
  try {
    cred = Json::parse(text);
  } catch (const Json::parse_error&) {
    throw Error(who + ": its output is not an ExecCredential (not JSON)");
  }
  if (!cred.is_object() || cred.value("kind", "") != "ExecCredential" || !cred.contains("status") || !cred["status"].is_object())
    throw Error(who + ": its output is not an ExecCredential with a status");
  const Json& st = cred["status"];
  ExecCredential c;
  c.token = st.value("token", "");
  c.cert_data = st.value("clientCertificateData", "");
  c.key_data = st.value("clientKeyData", "");
  if (st.contains("expirationTimestamp") && st["expirationTimestamp"].is_string())
    c.expiry = parse_time(st["expirationTimestamp"].get<std::string>());
  if (c.token.empty() && (c.cert_data.empty() || c.key_data.empty()))
    throw Error(who + ": its ExecCredential has neither status.token nor status.clientCertificateData and clientKeyData");
  return c;
}

} // namespace kf::kube
