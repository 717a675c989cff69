// kube-sim: a Kubernetes API simulator for kf's tests (tests/README.md).
//   kube-sim --port 0 --kubeconfig-out kc.yaml --crds ../shared/upstream/crds
// serves until SIGTERM or SIGINT; the kubeconfig appears (atomically) once
// it accepts connections.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/yaml.h"
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

std::string kubeconfig(const std::string& server, const std::string& token) {
  std::string user = token.empty() ? "{}" : "{token: " + token + "}";
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  cluster:\n    server: " + server +
         "\ncontexts:\n- name: kube-sim\n  context:\n    cluster: kube-sim\n    user: kube-sim\n    namespace: default\n"
         "current-context: kube-sim\nusers:\n- name: kube-sim\n  user: " + user + "\n";
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app("kube-sim: a Kubernetes API simulator for kf's tests; serves until SIGTERM", "kube-sim");
  std::string host = "127.0.0.1", kubeconfig_out, faults = "429,500,503,reset";
  int port = 0, establish_ms = 200;
  std::size_t history = 1000;
  std::vector<std::string> crd_dirs;
  kubesim::ServerOptions opts;
  app.add_option("--host", host, "Address to listen on (default 127.0.0.1)");
  app.add_option("--port", port, "Port; 0 picks a free one (default 0)");
  app.add_option("--kubeconfig-out", kubeconfig_out, "Write a kubeconfig for this server to FILE once it is ready");
  app.add_option("--crds", crd_dirs, "Install the CRDs of every *.yaml/*.json file in DIR at start (repeatable)");
  app.add_option("--token", opts.token, "Bearer token clients must send (default: none, no authentication; kubectl 1.32 sends no token over plain http)");
  app.add_option("--fault-rate", opts.fault_rate, "Share of API requests that fail, 0..1 (default 0)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--faults", faults, "Comma-separated fault kinds: 429, 500, 503, reset, slow (default 429,500,503,reset)");
  app.add_option("--fault-seed", opts.fault_seed, "Seed of the fault generator (default 1)");
  app.add_option("--retry-after", opts.retry_after, "Retry-After seconds of an injected 429 (default 1)");
  app.add_option("--latency-ms", opts.latency_ms, "Delay added to every request (default 0)");
  app.add_option("--establish-delay-ms", establish_ms, "How long a new CRD takes to become Established (default 200)");
  app.add_option("--watch-history", history, "Events kept for watches; older resourceVersions get 410 (default 1000)");
  app.add_flag("--log", opts.log, "Log every request on stderr");
  CLI11_PARSE(app, argc, argv);
  opts.faults.clear();
  std::stringstream fs(faults);
  for (std::string f; std::getline(fs, f, ',');)
    if (!f.empty()) opts.faults.push_back(f);

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    kubesim::Store store(kubesim::Store::Options{std::chrono::milliseconds(establish_ms), history});
    for (const auto& dir : crd_dirs) {
      const int n = install_crds(store, dir);
      if (opts.log) std::cerr << "kube-sim: " << n << " CRDs from " << dir << '\n';
    }
    kubesim::Server server(store, opts);
    const int bound = server.bind(host, port);
    if (bound < 0) {
      std::cerr << "kube-sim: cannot listen on " << host << ':' << port << '\n';
      return 1;
    }
    std::thread serving([&] { server.run(); });
    while (!server.running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::string url = "http://" + host + ":" + std::to_string(bound);
    if (!kubeconfig_out.empty()) kf::fs::write_file_atomic(kubeconfig_out, kubeconfig(url, opts.token));
    std::cerr << "kube-sim: serving " << url << '\n';
    int sig = 0;
    sigwait(&signals, &sig);
    store.shutdown();
    server.stop();
    serving.join();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "kube-sim: " << e.what() << '\n';
    return 1;
  }
}
