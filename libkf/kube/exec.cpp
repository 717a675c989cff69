// Exec credential plugins (client.authentication.k8s.io/v1): kf runs the
// command with KUBERNETES_EXEC_INFO set, reads an ExecCredential from its
// stdout and keeps it until status.expirationTimestamp. The plugin's
// stderr goes to kf's stderr, as with kubectl.
#include <ctime>

#include "libkf/kube/http.h"
#include "libkf/util/clock.h"
#include "libkf/util/json.h"
#include "libkf/util/subprocess.h"

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
  proc::Command cmd;
  cmd.argv = {exec.command};
  cmd.argv.insert(cmd.argv.end(), exec.args.begin(), exec.args.end());
  cmd.set = {{"KUBERNETES_EXEC_INFO", info}};
  cmd.set.insert(cmd.set.end(), exec.env.begin(), exec.env.end());
  cmd.out = proc::Stream::capture;
  cmd.err = proc::Stream::inherit; // the plugin talks to the user there, as with kubectl
  const proc::Result r = proc::run(cmd);
  const std::string& text = r.out;
  const std::string who = "exec credential plugin " + exec.command;
  if (r.exit_code == 127) throw Error(who + ": cannot run it (not found or not executable)");
  if (r.exit_code != 0) throw Error(who + " failed (exit status " + std::to_string(r.exit_code) + ")");
  Json cred;
  try {
    cred = json::parse(text);
  } catch (const Json::exception&) {
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
