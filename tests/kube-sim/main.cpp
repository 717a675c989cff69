// kube-sim: a Kubernetes API simulator for kf's tests (tests/README.md).
//   kube-sim --port 0 --kubeconfig-out kc.yaml --crds third_party/crds
//   kube-sim --tls --tls-dir pki/ --token T --kubeconfig-out kc.yaml
// serves until SIGTERM or SIGINT; the kubeconfig appears (atomically) once
// it accepts connections. SIGUSR1 pauses fault injection, SIGUSR2 resumes it.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"
#include "tests/kube-sim/controllers.h"
#include "tests/kube-sim/server.h"

namespace stdfs = std::filesystem;

namespace {

// Every apiextensions.k8s.io/v1 CRD in the *.yaml, *.yml and *.json files directly in `dir`.
int install_crds(kubesim::Store& store, const stdfs::path& dir) {
  std::vector<stdfs::path> files;
  for (const auto& e : stdfs::directory_iterator(dir)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  int n = 0;
  for (const auto& f : files)
    for (const auto& doc : kf::yaml::parse_all(kf::fs::read_file(f), f.string())) {
      const kf::Json crd = kf::yaml::to_json(doc);
      if (!crd.is_object() || crd.value("kind", "") != "CustomResourceDefinition" ||
          crd.value("apiVersion", "") != "apiextensions.k8s.io/v1")
        continue;
      store.install_crd(crd);
      ++n;
    }
  return n;
}

// The kubeconfig of an admin: with TLS, the CA and the client certificate;
// also --token (else the token file's first token), else --basic's user.
std::string kubeconfig(const std::string& server, const kubesim::ServerOptions& o) {
  const auto quoted = [](const std::string& s) { return kf::Json(s).dump(); };
  std::string cluster = "    server: " + server + "\n", user;
  if (o.tls) {
    cluster += "    certificate-authority-data: " + kubesim::tls::base64(o.tls->ca.cert) + "\n";
    user += "    client-certificate-data: " + kubesim::tls::base64(o.tls->client.cert) + "\n";
    user += "    client-key-data: " + kubesim::tls::base64(o.tls->client.key) + "\n";
  }
  std::string token = o.token;
  if (token.empty() && !o.token_file.empty()) {
    const auto lines = kf::str::split(kf::fs::read_file(o.token_file), '\n');
    const auto first = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return !kf::str::trim(l).empty(); });
    if (first != lines.end()) token = kf::str::trim(*first);
  }
  if (!token.empty()) {
    user += "    token: " + quoted(token) + "\n";
  } else if (!o.basic.empty()) {
    const auto colon = o.basic.find(':');
    user += "    username: " + quoted(o.basic.substr(0, colon)) + "\n    password: " + quoted(o.basic.substr(colon + 1)) + "\n";
  }
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  cluster:\n" + cluster +
         "contexts:\n- name: kube-sim\n  context:\n    cluster: kube-sim\n    user: kube-sim\n    namespace: default\n"
         "current-context: kube-sim\nusers:\n- name: kube-sim\n  user:" + (user.empty() ? " {}\n" : "\n" + user);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app("kube-sim: a Kubernetes API simulator for kf's tests; serves until SIGTERM", "kube-sim");
  std::string host = "127.0.0.1", kubeconfig_out, faults = "429,500,503,reset", tls_dir;
  bool tls = false;
  int port = 0, establish_ms = 200;
  std::size_t history = 1000;
  std::vector<std::string> crd_dirs;
  kubesim::ServerOptions opts;
  app.add_option("--host", host, "Address to listen on (default 127.0.0.1)");
  app.add_option("--port", port, "Port; 0 picks a free one (default 0)");
  app.add_option("--kubeconfig-out", kubeconfig_out, "Write a kubeconfig for this server to FILE once it is ready");
  app.add_option("--crds", crd_dirs, "Install the CRDs of every *.yaml/*.json file in DIR at start (repeatable)");
  auto* tls_flag = app.add_flag("--tls", tls, "Serve HTTPS with a CA, server and client certificate made at start; client certificates authenticate");
  app.add_option("--tls-dir", tls_dir, "With --tls, also write ca.crt, server.crt/.key, client.crt/.key to DIR")->needs(tls_flag);
  app.add_option("--token", opts.token, "A bearer token that authenticates (default: none; kubectl 1.32 sends no token over plain http)");
  app.add_option("--token-file", opts.token_file, "Bearer tokens that authenticate, one per line, re-read on every request");
  app.add_option("--basic", opts.basic, "USER:PASS that authenticates with Authorization: Basic");
  app.add_option("--fault-rate", opts.fault_rate, "Share of API requests, watches included, that fail, 0..1 (default 0)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--faults", faults, "Comma-separated fault kinds: 429, 500, 503, reset, drop, slow, watch-break (default 429,500,503,reset)");
  app.add_option("--fault-paths", opts.fault_paths, "Only paths this regular expression matches (anywhere) get faults (default: all)");
  app.add_option("--fault-seed", opts.fault_seed, "Seed of the fault generator (default 1)");
  app.add_option("--retry-after", opts.retry_after, "Retry-After seconds of an injected 429 (default 1)");
  app.add_option("--latency-ms", opts.latency_ms, "Delay added to every request (default 0)");
  app.add_option("--proxy-pods-to", opts.proxy_pods_to,
                 "HOST:PORT that a pod's API proxy (pods/NAME:PORT/proxy/...) reaches when the pod has no "
                 "sim.kf.dev/proxy-to annotation (its IP is made up)")
      ->type_name("HOST:PORT");
  app.add_option("--establish-delay-ms", establish_ms, "How long a new CRD takes to become Established (default 200)");
  app.add_option("--watch-history", history, "Events kept for watches; older resourceVersions get 410 (default 1000)");
  app.add_flag("--log", opts.log, "Log every request on stderr");
  bool run_controllers = true; // the simulated operators (controllers.h)
  int step_ms = 200;
  app.add_flag("--controllers,!--no-controllers", run_controllers,
               "Run the simulated Kubeflow operators, pods, pod logs and garbage collection (default on)");
  app.add_option("--controller-step-ms", step_ms, "How long each simulated lifecycle step takes (default 200)")
      ->check(CLI::Range(1, 3600000));
  CLI11_PARSE(app, argc, argv);
  opts.faults.clear();
  std::stringstream fs(faults);
  for (std::string f; std::getline(fs, f, ',');) {
    if (f.empty()) continue;
    if (std::find(kubesim::k_fault_kinds.begin(), kubesim::k_fault_kinds.end(), f) == kubesim::k_fault_kinds.end()) {
      std::cerr << "kube-sim: --faults: unknown kind " << kf::str::quote(f) << " (known: " << kf::str::join(kubesim::k_fault_kinds, ", ") << ")\n";
      return 2;
    }
    opts.faults.push_back(f);
  }
  if (!opts.basic.empty() && opts.basic.find(':') == std::string::npos) {
    std::cerr << "kube-sim: --basic: expected USER:PASS\n";
    return 2;
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN); // a client gone mid-write (OpenSSL writes with write(2)) must not kill us

  try {
    kubesim::Store store(kubesim::Store::Options{std::chrono::milliseconds(establish_ms), history});
    for (const auto& dir : crd_dirs) {
      const int n = install_crds(store, dir);
      if (opts.log) std::cerr << "kube-sim: " << n << " CRDs from " << dir << '\n';
    }
    kubesim::Controllers controllers(store, kubesim::Controllers::Options{std::chrono::milliseconds(step_ms)});
    if (run_controllers) controllers.start(); // stopped (joined) when it goes out of scope, after store.shutdown()
    if (!opts.token_file.empty()) kf::fs::read_file(opts.token_file); // fail now, not at the first request
    if (tls) {
      opts.tls = kubesim::tls::generate({"127.0.0.1", "localhost", host});
      if (!tls_dir.empty()) kubesim::tls::write_dir(*opts.tls, tls_dir);
    }
    kubesim::Server server(store, opts);
    const int bound = server.bind(host, port);
    if (bound < 0) {
      std::cerr << "kube-sim: cannot listen on " << host << ':' << port << '\n';
      return 1;
    }
    std::thread serving([&] { server.run(); });
    while (!server.running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::string url = (tls ? "https://" : "http://") + host + ":" + std::to_string(bound);
    if (!kubeconfig_out.empty()) kf::fs::write_file_atomic(kubeconfig_out, kubeconfig(url, opts));
    std::cerr << "kube-sim: serving " << url << '\n';
    for (int sig = 0; sigwait(&signals, &sig) == 0 && (sig == SIGUSR1 || sig == SIGUSR2);) {
      server.pause_faults(sig == SIGUSR1);
      if (opts.log) std::cerr << "kube-sim: faults " << (sig == SIGUSR1 ? "paused" : "resumed") << '\n';
    }
    store.shutdown();
    server.stop();
    serving.join();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "kube-sim: " << e.what() << '\n';
    return 1;
  }
}
