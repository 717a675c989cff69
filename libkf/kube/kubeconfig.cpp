#include "libkf/kube/kubeconfig.h"

#include <cstdlib>
#include <filesystem>
#include <map>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"
#include "libkf/util/yaml_scalar.h"

namespace kf::kube {

namespace stdfs = std::filesystem;

namespace {

std::string env_or(const std::optional<std::string>& given, const char* name) {
  if (given) return *given;
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string text(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// One named cluster, context or user, and the directory of the file that named it.
struct Entry {
  Json body;
  stdfs::path dir;
  std::string file;
};

std::string resolve(const std::string& path, const stdfs::path& dir) {
  if (path.empty() || stdfs::path(path).is_absolute()) return path;
  return (dir / path).lexically_normal().string();
}

std::string decoded(const Entry& e, const char* key, const std::string& what) {
  const std::string data = text(e.body, key);
  if (data.empty()) return "";
  auto out = base64_decode(data);
  if (!out) throw Error(e.file + ": " + what + "." + key + ": not valid base64");
  return *out;
}

// A boolean field: absent or null is false. kubectl reads kubeconfig YAML as
// YAML 1.1, where yes/no/on/off/y/n are booleans too; anything else is refused.
bool flag(const Entry& e, const char* key, const std::string& what) {
  const auto it = e.body.is_object() ? e.body.find(key) : e.body.end();
  if (it == e.body.end() || it->is_null()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string())
    if (const auto b = yaml::yaml11_bool(it->get<std::string>())) return *b;
  throw Error(e.file + ": " + what + "." + key + ": expected true or false, got " + it->dump());
}

ClusterConfig in_cluster(const KubeconfigOptions& o, const std::string& host, const std::string& port) {
  ClusterConfig c;
  const bool v6 = host.find(':') != std::string::npos;
  c.server = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port;
  c.context = "in-cluster";
  const stdfs::path dir = o.service_account_dir;
  c.token_file = (dir / "token").string();
  c.ca_file = (dir / "ca.crt").string();
  std::error_code ec;
  if (stdfs::exists(dir / "namespace", ec)) c.namespace_ = str::trim(fs::read_file(dir / "namespace"));
  if (!o.namespace_.empty()) c.namespace_ = o.namespace_;
  c.sources = {"in-cluster service account (" + dir.string() + ")"};
  return c;
}

} // namespace

std::optional<std::string> base64_decode(const std::string& input) {
  std::string out;
  unsigned buf = 0;
  int bits = 0, pad = 0;
  for (const char ch : input) {
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    if (ch == '=') {
      ++pad;
      continue;
    }
    if (pad > 0) return std::nullopt; // data after padding
    int v;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '+') v = 62;
    else if (ch == '/') v = 63;
    else return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  if (pad > 2 || bits >= 6) return std::nullopt;
  return out;
}

namespace {

// The kubeconfig files kubectl would read, in order: --kubeconfig, else the
// existing files of $KUBECONFIG, else ~/.kube/config; empty when none exists.
std::vector<std::string> kubeconfig_files(const KubeconfigOptions& o) {
  std::vector<std::string> files;
  const std::string env = env_or(o.kubeconfig_env, "KUBECONFIG");
  std::error_code ec;
  if (!o.kubeconfig.empty()) {
    files.push_back(o.kubeconfig);
  } else if (!env.empty()) {
    for (const auto& f : str::split(env, ':'))
      if (!f.empty() && stdfs::exists(f, ec)) files.push_back(f);
  } else {
    const std::string home = env_or(o.home, "HOME");
    if (!home.empty() && stdfs::exists(stdfs::path(home) / ".kube" / "config", ec))
      files.push_back((stdfs::path(home) / ".kube" / "config").string());
  }
  return files;
}

// The files merged as kubectl merges them: for each name, the first file that sets it wins.
struct Merged {
  std::map<std::string, Entry> clusters, contexts, users;
  std::string current;
};

Merged merge_files(const std::vector<std::string>& files) {
  Merged m;
  for (const auto& file : files) {
    const Json doc = yaml::to_json(yaml::parse(fs::read_file(file), file));
    if (doc.is_null()) continue;
    if (!doc.is_object()) throw Error(file + ": not a kubeconfig (expected a mapping)");
    const stdfs::path dir = stdfs::absolute(stdfs::path(file)).parent_path();
    for (const auto& [section, field, into] : {std::tuple{"clusters", "cluster", &m.clusters},
                                               std::tuple{"contexts", "context", &m.contexts},
                                               std::tuple{"users", "user", &m.users}}) {
      if (!doc.contains(section) || !doc[section].is_array()) continue;
      for (const auto& item : doc[section]) {
        const std::string name = text(item, "name");
        if (!name.empty() && !into->count(name))
          into->emplace(name, Entry{item.contains(field) ? item[field] : Json::object(), dir, file});
      }
    }
    if (m.current.empty()) m.current = text(doc, "current-context");
  }
  return m;
}

} // namespace

std::vector<std::string> kubeconfig_contexts(const KubeconfigOptions& o) {
  std::vector<std::string> names;
  for (const auto& [name, e] : merge_files(kubeconfig_files(o)).contexts) names.push_back(name);
  return names;
}

namespace {

void read_user(const Entry& user, const std::string& user_name, ClusterConfig& c) {
  const std::string what = "users[" + str::quote(user_name) + "]";
  c.cert_file = resolve(text(user.body, "client-certificate"), user.dir);
  c.cert_data = decoded(user, "client-certificate-data", what);
  c.key_file = resolve(text(user.body, "client-key"), user.dir);
  c.key_data = decoded(user, "client-key-data", what);
  c.token = text(user.body, "token");
  c.token_file = resolve(text(user.body, "tokenFile"), user.dir);
  c.username = text(user.body, "username");
  c.password = text(user.body, "password");
  if (user.body.is_object() && user.body.contains("auth-provider"))
    throw Error(user.file + ": " + what + ".auth-provider is not supported (use an exec credential plugin)");
  if (user.body.is_object() && user.body.contains("exec") && user.body["exec"].is_object()) {
    const Json& x = user.body["exec"];
    ExecConfig e;
    e.api_version = text(x, "apiVersion");
    e.command = text(x, "command");
    if (e.command.empty()) throw Error(user.file + ": " + what + ".exec.command is required");
    if (e.command.find('/') != std::string::npos) e.command = resolve(e.command, user.dir);
    if (x.contains("args") && x["args"].is_array())
      for (const auto& a : x["args"]) e.args.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    if (x.contains("env") && x["env"].is_array())
      for (const auto& v : x["env"]) e.env.emplace_back(text(v, "name"), text(v, "value"));
    c.exec = e;
  }
}

} // namespace

ClusterConfig load_kubeconfig(const KubeconfigOptions& o) {
  const std::vector<std::string> files = kubeconfig_files(o);
  if (files.empty()) {
    const std::string host = env_or(o.service_host, "KUBERNETES_SERVICE_HOST");
    const std::string port = env_or(o.service_port, "KUBERNETES_SERVICE_PORT");
    if (!host.empty() && !port.empty()) return in_cluster(o, host, port);
    const std::string env = env_or(o.kubeconfig_env, "KUBECONFIG");
    if (!env.empty()) throw Error("no kubeconfig: none of the files in KUBECONFIG exists (" + env + ")");
    throw Error("no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config");
  }
  const auto [clusters, contexts, users, current] = merge_files(files);
  const std::string where = str::join(files, ":");
  std::vector<std::string> names;
  for (const auto& [name, e] : contexts) names.push_back(name);
  const std::string context = o.context.empty() ? current : o.context;
  if (context.empty())
    throw Error("kubeconfig " + where + " has no current-context; pass --context NAME" +
                (names.empty() ? std::string() : " (contexts: " + str::join(names, ", ") + ")"));
  const auto ctx = contexts.find(context);
  if (ctx == contexts.end())
    throw Error("context " + str::quote(context) + " not found in kubeconfig " + where + str::did_you_mean(context, names));
  const std::string cluster_name = text(ctx->second.body, "cluster");
  const auto cl = clusters.find(cluster_name);
  if (cl == clusters.end())
    throw Error("context " + str::quote(context) + " refers to cluster " + str::quote(cluster_name) +
                ", which is not in kubeconfig " + where);

  ClusterConfig c;
  c.context = context;
  c.sources = files;
  const Entry& cluster = cl->second;
  c.server = text(cluster.body, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.empty()) throw Error(cluster.file + ": cluster " + str::quote(cluster_name) + " has no server");
  const std::string what = "clusters[" + str::quote(cluster_name) + "]";
  c.insecure = flag(cluster, "insecure-skip-tls-verify", what);
  c.tls_server_name = text(cluster.body, "tls-server-name");
  c.proxy_url = text(cluster.body, "proxy-url");
  c.ca_file = resolve(text(cluster.body, "certificate-authority"), cluster.dir);
  c.ca_data = decoded(cluster, "certificate-authority-data", what);

  const std::string user_name = text(ctx->second.body, "user");
  if (const auto u = users.find(user_name); u != users.end()) read_user(u->second, user_name, c);
  c.namespace_ = !o.namespace_.empty() ? o.namespace_ : text(ctx->second.body, "namespace");
  if (c.namespace_.empty()) c.namespace_ = "default";
  return c;
}

} // namespace kf::kube
