#pragma once
// Kubeconfig, read the way kubectl reads it:
//   --kubeconfig FILE, else every file in $KUBECONFIG (':'-separated; missing
//   ones skipped; for each cluster, context and user name and for
//   current-context the first file that sets it wins), else ~/.kube/config,
//   else the in-cluster service account (KUBERNETES_SERVICE_HOST/PORT, the
//   token, ca.crt and namespace files under /var/run/secrets/kubernetes.io/
//   serviceaccount). --context picks a context (default current-context);
//   the namespace is -n, else the context's, else "default". Relative file
//   paths are relative to the kubeconfig file that names them.
// Credentials read here (tokens, keys, passwords) are never put in a
// message: errors name files and fields only.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kf::kube {

struct KubeconfigOptions {
  std::string kubeconfig;  // --kubeconfig FILE; "" = $KUBECONFIG, then ~/.kube/config
  std::string context;     // --context NAME; "" = current-context
  std::string namespace_;  // -n NS; "" = the context's namespace, then "default"
  // The environment; nullopt = read it from the process (tests set these).
  std::optional<std::string> kubeconfig_env; // $KUBECONFIG
  std::optional<std::string> home;           // $HOME
  std::optional<std::string> service_host;   // $KUBERNETES_SERVICE_HOST
  std::optional<std::string> service_port;   // $KUBERNETES_SERVICE_PORT
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// users[].user.exec: a client.authentication.k8s.io credential plugin.
struct ExecConfig {
  std::string api_version; // client.authentication.k8s.io/v1 (or v1beta1)
  std::string command;     // resolved against the kubeconfig's directory when it has a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};

// Everything needed to reach one API server as one user.
struct ClusterConfig {
  std::string server;           // https://host:port (a trailing '/' removed)
  std::string context;          // the context's name ("in-cluster" for the service account)
  std::string namespace_ = "default";
  bool insecure = false;        // insecure-skip-tls-verify
  std::string tls_server_name;
  std::string proxy_url;
  std::string ca_file, ca_data; // certificate-authority(-data); data is PEM, decoded
  std::string cert_file, cert_data, key_file, key_data; // client-certificate/-key(-data)
  std::string token, token_file;
  std::string username, password;
  std::optional<ExecConfig> exec;
  std::vector<std::string> sources; // the files it was read from, for messages
};

// Throws kf::Error (exit 1) with the file and field at fault.
ClusterConfig load_kubeconfig(const KubeconfigOptions& options);

// The context names of the kubeconfig `options` selects, sorted; empty when
// there is no kubeconfig file. Throws kf::Error for a file that is not one.
std::vector<std::string> kubeconfig_contexts(const KubeconfigOptions& options);

// Standard base64 (padding optional, whitespace ignored); nullopt when malformed.
std::optional<std::string> base64_decode(const std::string& text);

} // namespace kf::kube
