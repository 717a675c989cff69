#include <doctest/doctest.h>

#include <filesystem>

#include "libkf/kube/kubeconfig.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
namespace stdfs = std::filesystem;

namespace {

using test::TempDir;

// Options that ignore the process environment.
kube::KubeconfigOptions isolated() {
  kube::KubeconfigOptions o;
  o.kubeconfig_env = "";
  o.home = "";
  o.service_host = "";
  o.service_port = "";
  return o;
}

const char* k_two_contexts = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster:
    server: https://dev.example.com:6443/
    certificate-authority: certs/ca.crt
- name: prod
  cluster:
    server: https://prod.example.com
    certificate-authority-data: UEVN
    insecure-skip-tls-verify: true
    proxy-url: http://proxy:3128
contexts:
- name: dev
  context: {cluster: dev, user: alice, namespace: ml}
- name: prod
  context: {cluster: prod, user: bob}
users:
- name: alice
  user:
    token: alice-token
    client-certificate: alice.crt
    client-key-data: a2V5
- name: bob
  user:
    tokenFile: /var/run/bob-token
    username: bob
    password: secret
)";

} // namespace

TEST_CASE("kubeconfig: current context, relative paths, base64 data") {
  TempDir tmp;
  auto o = isolated();
  o.kubeconfig = tmp.write("config", k_two_contexts);
  const auto c = kube::load_kubeconfig(o);
  CHECK(c.context == "dev");
  CHECK(c.server == "https://dev.example.com:6443");
  CHECK(c.namespace_ == "ml");
  CHECK(c.ca_file == (tmp.path / "certs/ca.crt").string());
  CHECK(c.token == "alice-token");
  CHECK(c.cert_file == (tmp.path / "alice.crt").string());
  CHECK(c.key_data == "key");
  CHECK_FALSE(c.insecure);
}

TEST_CASE("kubeconfig: --context, -n, and the default namespace") {
  TempDir tmp;
  auto o = isolated();
  o.kubeconfig = tmp.write("config", k_two_contexts);
  o.context = "prod";
  auto c = kube::load_kubeconfig(o);
  CHECK(c.server == "https://prod.example.com");
  CHECK(c.namespace_ == "default");
  CHECK(c.ca_data == "PEM");
  CHECK(c.insecure);
  CHECK(c.proxy_url == "http://proxy:3128");
  CHECK(c.token_file == "/var/run/bob-token");
  CHECK(c.username == "bob");
  CHECK(c.password == "secret");
  o.namespace_ = "team";
  CHECK(kube::load_kubeconfig(o).namespace_ == "team");
}

TEST_CASE("kubeconfig: KUBECONFIG merges files, the first to set a name wins") {
  TempDir tmp;
  const auto a = tmp.write("a", "current-context: one\ncontexts:\n- name: one\n  context: {cluster: c, user: u}\n"
                                "clusters:\n- name: c\n  cluster: {server: 'https://a'}\n");
  const auto b = tmp.write("b", "current-context: two\ncontexts:\n- name: two\n  context: {cluster: c, user: u}\n"
                                "clusters:\n- name: c\n  cluster: {server: 'https://b'}\nusers:\n- name: u\n  user: {token: t}\n");
  auto o = isolated();
  o.kubeconfig_env = a + ":" + (tmp.path / "missing").string() + ":" + b;
  auto c = kube::load_kubeconfig(o);
  CHECK(c.context == "one");
  CHECK(c.server == "https://a");
  CHECK(c.token == "t"); // user u only in b
  CHECK(c.sources == std::vector<std::string>{a, b});
  o.context = "two";
  CHECK(kube::load_kubeconfig(o).server == "https://a"); // cluster c: a's wins
}

TEST_CASE("kubeconfig: ~/.kube/config, then the in-cluster service account") {
  TempDir tmp;
  stdfs::create_directories(tmp.path / "home/.kube");
  tmp.write("home/.kube/config", "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
                                 "clusters:\n- name: c\n  cluster: {server: 'https://home'}\n");
  auto o = isolated();
  o.home = (tmp.path / "home").string();
  CHECK(kube::load_kubeconfig(o).server == "https://home");

  stdfs::create_directories(tmp.path / "sa");
  tmp.write("sa/namespace", "kubeflow\n");
  o.home = (tmp.path / "nohome").string();
  o.service_host = "10.0.0.1";
  o.service_port = "443";
  o.service_account_dir = (tmp.path / "sa").string();
  const auto c = kube::load_kubeconfig(o);
  CHECK(c.server == "https://10.0.0.1:443");
  CHECK(c.context == "in-cluster");
  CHECK(c.namespace_ == "kubeflow");
  CHECK(c.token_file == (tmp.path / "sa/token").string());
  CHECK(c.ca_file == (tmp.path / "sa/ca.crt").string());
}

TEST_CASE("kubeconfig: exec plugin") {
  TempDir tmp;
  auto o = isolated();
  o.kubeconfig = tmp.write("config", "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
                                     "clusters:\n- name: c\n  cluster: {server: 'https://c'}\n"
                                     "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                     "      command: ./bin/cred\n      args: [get, --fast]\n      env: [{name: A, value: b}]\n");
  const auto c = kube::load_kubeconfig(o);
  REQUIRE(c.exec);
  CHECK(c.exec->command == (tmp.path / "bin/cred").string());
  CHECK(c.exec->args == std::vector<std::string>{"get", "--fast"});
  CHECK(c.exec->env == std::vector<std::pair<std::string, std::string>>{{"A", "b"}});
}

TEST_CASE("kubeconfig: errors name the file and field, never a credential") {
  TempDir tmp;
  auto o = isolated();
  CHECK_THROWS_WITH_AS(kube::load_kubeconfig(o),
                       "no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config", Error);
  o.kubeconfig_env = (tmp.path / "gone").string();
  CHECK_THROWS_WITH_AS(kube::load_kubeconfig(o), ("no kubeconfig: none of the files in KUBECONFIG exists (" + tmp.path.string() + "/gone)").c_str(), Error);

  o = isolated();
  o.kubeconfig = tmp.write("config", k_two_contexts);
  o.context = "prd";
  CHECK_THROWS_WITH_AS(kube::load_kubeconfig(o), ("context \"prd\" not found in kubeconfig " + o.kubeconfig + " (did you mean 'prod'?)").c_str(), Error);

  o.context = "";
  o.kubeconfig = tmp.write("nocurrent", "contexts:\n- name: a\n  context: {cluster: c}\n");
  CHECK_THROWS_WITH_AS(kube::load_kubeconfig(o), ("kubeconfig " + o.kubeconfig + " has no current-context; pass --context NAME (contexts: a)").c_str(), Error);
  o.context = "a";
  CHECK_THROWS_WITH_AS(kube::load_kubeconfig(o), ("context \"a\" refers to cluster \"c\", which is not in kubeconfig " + o.kubeconfig).c_str(), Error);

  o.kubeconfig = tmp.write("noserver", "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster: {}\n");
  CHECK_THROWS_WITH_AS(kube::load_kubeconfig(o), (o.kubeconfig + ": cluster \"c\" has no server").c_str(), Error);

  o.kubeconfig = tmp.write("badkey", "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                                     "clusters:\n- name: c\n  cluster: {server: 'https://c'}\n"
                                     "users:\n- name: u\n  user: {client-key-data: 'not*base64'}\n");
  CHECK_THROWS_WITH_AS(kube::load_kubeconfig(o), (o.kubeconfig + ": users[\"u\"].client-key-data: not valid base64").c_str(), Error);

  // Found by fuzz_kubeconfig: a flag that is no boolean was nlohmann's type_error ("internal error").
  const auto insecure = [&](const std::string& value) {
    o.kubeconfig = tmp.write("flag", "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                                     "clusters:\n- name: c\n  cluster: {server: 'https://c', insecure-skip-tls-verify: " +
                                         value + "}\n");
    return kube::load_kubeconfig(o).insecure;
  };
  CHECK(insecure("true")); // first: it sets o.kubeconfig, the file each call rewrites
  CHECK_THROWS_WITH_AS(insecure("tru"), (o.kubeconfig + ": clusters[\"c\"].insecure-skip-tls-verify: expected true or false, got \"tru\"").c_str(), Error);
  CHECK_THROWS_WITH_AS(insecure("[true]"), (o.kubeconfig + ": clusters[\"c\"].insecure-skip-tls-verify: expected true or false, got [true]").c_str(), Error);
  CHECK_FALSE(insecure("false"));
  CHECK_FALSE(insecure("null"));
  CHECK(insecure("yes")); // YAML 1.1, as kubectl reads it
  CHECK_FALSE(insecure("off"));

  o.kubeconfig = (tmp.path / "absent").string();
  CHECK_THROWS_AS(kube::load_kubeconfig(o), Error);
}

TEST_CASE("base64") {
  CHECK(kube::base64_decode("aGVsbG8=") == "hello");
  CHECK(kube::base64_decode("aGVs\nbG8") == "hello");
  CHECK(kube::base64_decode("") == "");
  CHECK_FALSE(kube::base64_decode("a*b"));
  CHECK_FALSE(kube::base64_decode("aGVsbG8=x"));
}
