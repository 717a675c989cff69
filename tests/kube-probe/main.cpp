// kube-probe: drives kf's Kubernetes client (libkf/kube) from e2e scripts.
//   kube-probe --kubeconfig F watch v1 ConfigMap -n default --timeout 5s
//       one line per event: "TYPE name resourceVersion", then "END rv"
//   kube-probe --kubeconfig F logs NS POD [--follow] [--tail N] [--until TEXT]
//   kube-probe --kubeconfig F list v1 ConfigMap -n NS   "name resourceVersion" per object
//   kube-probe --kubeconfig F resource v1 ConfigMap     "configmaps namespaced"
//   kube-probe --kubeconfig F apply FILE [--subresource status]   the stored object, as JSON
// -v prints the client's debug lines (redacted) on stderr.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <thread>

#include "libkf/kube/rest_client.h"
#include "libkf/util/error.h"
#include "libkf/util/yaml.h"

using namespace kf;

namespace {

std::chrono::milliseconds duration(const std::string& text) {
  std::size_t end = 0;
  long n = 0;
  try {
    n = std::stol(text, &end);
  } catch (const std::exception&) {
    throw UsageError("not a duration: " + text + " (500ms, 5s, 2m)");
  }
  const std::string unit = text.substr(end);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s" || unit.empty()) return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  throw UsageError("not a duration: " + text + " (500ms, 5s, 2m)");
}

struct WatchArgs {
  std::string api_version, kind, namespace_, labels, fields, resource_version, timeout = "0";
  std::string until;        // stop after an event for this object
  std::string pause_after;  // after the event for this object: print PAUSED, wait for --resume-file
  std::string resume_file;
  bool bookmarks = false;   // print BOOKMARK events too
};

int watch(kube::Client& client, const WatchArgs& a) {
  kube::WatchOptions o;
  o.namespace_ = a.namespace_;
  o.label_selector = a.labels;
  o.field_selector = a.fields;
  o.resource_version = a.resource_version;
  o.timeout = duration(a.timeout);
  bool paused = false;
  const std::string rv = client.watch(a.api_version, a.kind, o, [&](const kube::WatchEvent& e) {
    const Json md = e.object.value("metadata", Json::object());
    const std::string name = md.value("name", "-");
    if (e.type != "BOOKMARK" || a.bookmarks)
      std::cout << e.type << ' ' << name << ' ' << md.value("resourceVersion", "-") << std::endl;
    if (e.type == "BOOKMARK") return true;
    if (!paused && name == a.pause_after) {
      paused = true;
      std::cout << "PAUSED" << std::endl;
      while (!std::filesystem::exists(a.resume_file)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return a.until.empty() || name != a.until;
  });
  std::cout << "END " << rv << std::endl;
  return 0;
}

// Prints a pod's log; with `until`, stops once the text has appeared.
int logs(kube::Client& client, const std::string& ns, const std::string& pod, const kube::PodLogOptions& o,
         const std::string& until) {
  std::string seen;
  client.pod_logs(ns, pod, o, [&](std::string_view data) {
    std::cout << data << std::flush;
    seen += data;
    return until.empty() || seen.find(until) == std::string::npos;
  });
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app("kube-probe: drives libkf/kube's client for kf's e2e tests", "kube-probe");
  kube::KubeconfigOptions kc;
  kube::RestOptions rest;
  bool verbose = false;
  long watch_request_timeout = 0;
  app.add_option("--max-retries", rest.max_retries, "retries of a failed request (default 10)");
  std::string cache_dir;
  app.add_option("--kubeconfig", kc.kubeconfig, "kubeconfig file");
  app.add_option("--context", kc.context, "kubeconfig context");
  app.add_option("--qps", rest.qps, "client-side throttling: requests a second (default 50)");
  app.add_option("--burst", rest.burst, "client-side throttling: burst (default 300)");
  app.add_option("--cache-dir", cache_dir, "discovery cache root (default: none)");
  app.add_option("--watch-request-timeout", watch_request_timeout, "timeoutSeconds of each watch request (default: 5-10 min)");
  app.add_flag("-v", verbose, "print the client's debug lines on stderr");
  app.require_subcommand(1);

  WatchArgs w;
  auto* cmd_watch = app.add_subcommand("watch", "print the events of a watch");
  cmd_watch->add_option("api_version", w.api_version)->required();
  cmd_watch->add_option("kind", w.kind)->required();
  cmd_watch->add_option("-n,--namespace", w.namespace_, "namespace (default: all)");
  cmd_watch->add_option("-l,--selector", w.labels, "label selector");
  cmd_watch->add_option("--field-selector", w.fields, "field selector");
  cmd_watch->add_option("--resource-version", w.resource_version, "start after this resourceVersion (default: list first)");
  cmd_watch->add_option("--timeout", w.timeout, "stop after this long (5s, 500ms; default: never)");
  cmd_watch->add_option("--until", w.until, "stop after an event for the object of this name");
  cmd_watch->add_option("--pause-after", w.pause_after, "after the event for this object, print PAUSED and wait for --resume-file");
  cmd_watch->add_option("--resume-file", w.resume_file, "see --pause-after");
  cmd_watch->add_flag("--bookmarks", w.bookmarks, "print BOOKMARK events too");

  std::string ns, pod, log_until;
  kube::PodLogOptions lo;
  auto* cmd_logs = app.add_subcommand("logs", "print a pod's log");
  cmd_logs->add_option("namespace", ns)->required();
  cmd_logs->add_option("pod", pod)->required();
  cmd_logs->add_option("-c,--container", lo.container, "container");
  cmd_logs->add_flag("-f,--follow", lo.follow, "follow the log");
  cmd_logs->add_option("--tail", lo.tail_lines, "only the last N lines");
  cmd_logs->add_flag("-p,--previous", lo.previous, "the previous container's log");
  cmd_logs->add_option("--until", log_until, "stop once this text has appeared");

  kube::ListOptions lso;
  auto* cmd_list = app.add_subcommand("list", "print the objects of a kind: name and resourceVersion");
  cmd_list->add_option("api_version", w.api_version)->required();
  cmd_list->add_option("kind", w.kind)->required();
  cmd_list->add_option("-n,--namespace", lso.namespace_, "namespace (default: all)");
  cmd_list->add_option("-l,--selector", lso.label_selector, "label selector");
  cmd_list->add_option("--field-selector", lso.field_selector, "field selector");

  std::string apply_file;
  kube::ApplyOptions ao;
  ao.field_manager = "kube-probe";
  auto* cmd_apply = app.add_subcommand("apply", "server-side apply of one object (YAML or JSON); print what was stored");
  cmd_apply->add_option("file", apply_file)->required();
  cmd_apply->add_option("--subresource", ao.subresource, "apply to this subresource (status)");
  cmd_apply->add_option("--field-manager", ao.field_manager, "fieldManager (default kube-probe)");

  std::string api_version, kind;
  auto* cmd_resource = app.add_subcommand("resource", "print the resource that serves a kind");
  cmd_resource->add_option("api_version", api_version)->required();
  cmd_resource->add_option("kind", kind)->required();

  CLI11_PARSE(app, argc, argv);
  try {
    if (verbose) rest.debug = [](std::string_view line) { std::cerr << "debug: " << line << '\n'; };
    rest.cache_dir = cache_dir;
    rest.watch_request_timeout = std::chrono::seconds(watch_request_timeout);
    if (!w.pause_after.empty() && w.resume_file.empty()) throw UsageError("--pause-after needs --resume-file");
    const auto config = kube::load_kubeconfig(kc);
    const auto client = kube::connect(config, rest);
    if (cmd_watch->parsed()) return watch(*client, w);
    if (cmd_logs->parsed()) return logs(*client, ns, pod, lo, log_until);
    if (cmd_apply->parsed()) {
      std::cout << client->apply(yaml::to_json(yaml::parse_file(apply_file)), ao).dump() << '\n';
      return 0;
    }
    if (cmd_list->parsed()) {
      for (const auto& obj : client->list(w.api_version, w.kind, lso))
        std::cout << obj["metadata"].value("name", "") << ' ' << obj["metadata"].value("resourceVersion", "") << '\n';
      return 0;
    }
    const auto r = client->resource(api_version, kind);
    if (!r) {
      std::cout << "none\n";
      return 3;
    }
    std::cout << r->resource << (r->namespaced ? " namespaced" : " cluster") << '\n';
    return 0;
  } catch (const Error& e) {
    std::cerr << "kube-probe: error: " << e.what() << '\n';
    return e.exit_code();
  }
}
