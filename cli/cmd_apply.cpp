// kf apply — libkf/action/apply.cpp (-f) and libkf/action/platform.cpp (kf.yaml's platform);
// kf delete -f | --platform (the flags kf delete takes from here: cmd_apply.h).
#include "cli/session.h"
#include "cli/cmd_apply.h"

#include <unistd.h>

#include <iostream>
#include <sstream>

#include "cli/output.h"
#include "libkf/action/platform.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::cli {

namespace {

// "5m", "90s", "1h", "500ms"; a bare number is seconds.
std::chrono::milliseconds parse_timeout(const std::string& text) {
  std::size_t used = 0;
  double n = -1;
  try {
    n = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "s" ? 1000 : unit == "ms" ? 1 : unit == "m" ? 60000 : unit == "h" ? 3600000 : -1;
  if (n < 0 || scale < 0) throw UsageError("--timeout " + text + ": expected a duration such as 90s, 5m or 1h");
  return std::chrono::milliseconds(static_cast<long long>(n * scale));
}

// --wait's progress: one line redrawn in place on a terminal (ended when the
// view goes, even on an error), else a line per change.
class WaitView {
public:
  explicit WaitView(bool tty) : m_tty(tty) {}
  ~WaitView() {
    if (m_open) std::cerr << '\n';
  }
  void operator()(const platform::WaitProgress& p) {
    std::string line = "waiting: " + std::to_string(p.ready) + "/" + std::to_string(p.total) + " deployments available";
    if (!p.pending.empty()) line += " (" + str::join(p.pending, ", ") + ")";
    if (!m_tty) {
      std::cerr << line << '\n';
      return;
    }
    std::cerr << "\r\033[K" << line << std::flush;
    m_open = true;
  }

private:
  bool m_tty;
  bool m_open = false;
};

void print_result(const Globals& g, const action::ApplyResult& r, action::DryRun dry_run) {
  const std::string suffix = dry_run == action::DryRun::server   ? " (server dry run)"
                             : dry_run == action::DryRun::client ? " (client dry run)"
                                                                 : "";
  if (g.output == "json" || g.output == "yaml") {
    std::vector<Json> objects;
    for (const auto& o : r.objects) objects.push_back(o.object);
    print_objects(objects, g.output);
  } else {
    for (const auto& o : r.objects) std::cout << o.display << (o.change.empty() ? "" : " " + o.change) << suffix << '\n';
    for (const auto& o : r.pruned) std::cout << o.display << ' ' << o.change << suffix << '\n';
  }
  if (dry_run == action::DryRun::client) return;
  std::map<std::string, int> counts;
  for (const auto& o : r.objects) ++counts[o.change];
  if (!r.changed()) {
    std::cerr << "no changes (" << r.objects.size() << " objects unchanged)" << suffix << '\n';
    return;
  }
  std::string summary;
  for (const char* c : {"created", "configured", "unchanged"})
    if (counts[c] > 0) summary += (summary.empty() ? "" : ", ") + std::to_string(counts[c]) + " " + c;
  if (!r.pruned.empty()) summary += (summary.empty() ? "" : ", ") + std::to_string(r.pruned.size()) + " pruned";
  std::cerr << summary << suffix << '\n';
}

} // namespace

namespace {

// -f/--filename FILE, repeatable; each -f takes one value.
void add_files_option(CLI::App& cmd, std::vector<std::string>& files, const std::string& help) {
  hint(cmd.add_option("-f,--filename", files, help)->type_name("FILE")->expected(1)->allow_extra_args(false)->take_all(),
       Hint{{}, "file"});
}

struct ApplyFlags {
  std::vector<std::string> files;
  std::string kubeconfig, context, namespace_, dry_run = "none", field_manager = "kf", timeout = "5m";
  bool force_conflicts = false, prune = false, wait = false;
  int concurrency = 8;
};

void add_apply_flags(CLI::App& cmd, ApplyFlags& flags) {
  add_files_option(cmd, flags.files, "A manifest file, a directory of them, or '-' for stdin (repeatable)");
  hint(cmd.add_option("--kubeconfig", flags.kubeconfig, "The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
           ->type_name("FILE"),
       Hint{{}, "file"});
  hint(cmd.add_option("--context", flags.context, "The kubeconfig context (default: its current-context)")->type_name("NAME"),
       Hint{{}, "context"});
  cmd.add_option("-n,--namespace", flags.namespace_,
                 "Namespace for objects without one (default: spec.platform.namespace, with -f the context's)")
      ->type_name("NS");
  one_of(cmd.add_option("--dry-run", flags.dry_run,
                        "'client': render and order, send nothing (no cluster needed); 'server': the server validates "
                        "every object and stores nothing")
             ->type_name("MODE"),
         {"none", "client", "server"});
  cmd.add_flag("--prune", flags.prune, "Delete what kf applied before (by its labels) and no longer renders");
  cmd.add_flag("--wait", flags.wait, "Wait until every applied Deployment is Available");
  cmd.add_option("--timeout", flags.timeout, "How long --wait waits (default 5m)")->type_name("DURATION");
  cmd.add_option("--concurrency", flags.concurrency, "Requests in flight at once within an ordering tier (default 8)")
      ->check(CLI::Range(1, 64))
      ->type_name("N");
  cmd.add_flag("--force-conflicts", flags.force_conflicts, "Take over fields that another field manager owns");
  cmd.add_option("--field-manager", flags.field_manager, "The field manager kf applies as (default kf)")->type_name("NAME");
}

constexpr const char* k_apply_footer =
    "Without -f, kf installs spec.platform.components of kf.yaml: each from kf's component index (a pinned git "
    "repository, fetched into $XDG_CACHE_HOME/kf/sources) or from spec.platform.source (a directory, or a git URL "
    "with an optional #REF; a component's manifests are then <source>/<component>), rendered with 'kustomize "
    "build' or 'kubectl kustomize' (a kustomization) or read as YAML. Then the project's long-lived objects: the "
    "InferenceService (spec.serving) and notebooks, when a component serves their kinds; jobs, experiments and "
    "workflows are runs that kf train, kf tune and kf pipeline run start.\n\n"
    "Order: Namespaces, CRDs (kf waits until each is Established and served), built-in kinds, custom resources, "
    "admission webhooks last. Every object gets the labels app.kubernetes.io/managed-by=kf, kf.dev/applied-by "
    "(the project, or 'manifests' with -f) and kf.dev/component; the kinds are recorded in the ConfigMap "
    "kube-system/kf-applied-<applied-by>, so --prune and kf delete --platform find them. Prints one line per "
    "object (created, configured, unchanged, pruned) and a summary ('no changes' when nothing changed); -o "
    "yaml|json prints the objects (with --dry-run=client: as rendered, for GitOps). Failed requests are retried "
    "(429, 5xx, dropped connections).\n\n"
    "Examples:\n"
    "  kf apply                                   # the platform of kf.yaml\n"
    "  kf apply --prune --wait\n"
    "  kf apply --dry-run=client -o yaml > platform.yaml\n"
    "  kf apply -f manifests/\n"
    "  kf render all | kf apply -f -\n"
    "  kf apply -f crds.yaml --dry-run=server -o yaml";

action::ApplyOptions apply_options(const ApplyFlags& flags) {
  action::ApplyOptions opts;
  opts.files = flags.files;
  opts.kubeconfig.kubeconfig = flags.kubeconfig;
  opts.kubeconfig.context = flags.context;
  opts.kubeconfig.namespace_ = flags.namespace_;
  opts.dry_run = flags.dry_run == "server"   ? action::DryRun::server
                 : flags.dry_run == "client" ? action::DryRun::client
                                             : action::DryRun::none;
  if (flags.prune && opts.dry_run == action::DryRun::client)
    throw UsageError("--prune needs the cluster's objects: use it with --dry-run=server, not client");
  opts.force_conflicts = flags.force_conflicts;
  opts.field_manager = flags.field_manager;
  opts.prune = flags.prune;
  opts.wait = flags.wait;
  opts.timeout = parse_timeout(flags.timeout);
  opts.concurrency = flags.concurrency;
  return opts;
}

} // namespace

void add_apply(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<ApplyFlags>();
  auto* cmd = app.add_subcommand("apply", "Install or upgrade the Kubeflow components named in kf.yaml (or apply "
                                          "manifests with -f) with server-side apply: namespaces and CRDs first");
  add_apply_flags(*cmd, *flags);
  cmd->footer(k_apply_footer);
  on_run(*cmd, g, [flags](Session& s) {
    action::ApplyOptions opts = apply_options(*flags);
    auto view = std::make_shared<WaitView>(::isatty(STDERR_FILENO) != 0);
    opts.on_wait = [view](const platform::WaitProgress& p) { (*view)(p); };
    opts.stdin_text = read_stdin_if(flags->files);
    if (!opts.files.empty()) {
      print_result(s.g, action::apply(s.ctx, opts), opts.dry_run);
      return 0;
    }
    action::PlatformOptions po;
    po.target = s.g.target;
    po.apply = opts;
    const auto r = action::apply_platform(s.ctx, po);
    for (const auto& c : r.plan.components)
      s.reporter.debug("component " + c.name + (c.ref.empty() ? "" : " " + c.ref) + ": " + std::to_string(c.objects) +
                     " objects");
    print_result(s.g, r.applied, opts.dry_run);
    return 0;
  });
}

void add_delete_applied_flags(CLI::App& cmd, DeleteAppliedFlags& flags) {
  add_files_option(cmd, flags.files, "Delete the objects of these manifests that kf applied ('-' for stdin)");
  cmd.add_flag("--platform", flags.platform, "Delete everything kf apply installed for kf.yaml's project, CRDs and namespaces last");
  hint(cmd.add_option("--kubeconfig", flags.kubeconfig, "With -f or --platform: the kubeconfig file")->type_name("FILE"),
       Hint{{}, "file"});
  hint(cmd.add_option("--context", flags.context, "With -f or --platform: the kubeconfig context")->type_name("NAME"),
       Hint{{}, "context"});
  cmd.add_option("-n,--namespace", flags.namespace_, "With -f: namespace for objects without one")->type_name("NS");
  one_of(cmd.add_option("--dry-run", flags.dry_run, "'server': the server checks the deletions and deletes nothing")
             ->type_name("MODE"),
         {"none", "server"});
}

std::optional<int> run_delete_applied(Session& s, const DeleteAppliedFlags& flags, bool runs_given) {
  const Globals& g = s.g;
  if (flags.files.empty() && !flags.platform) {
    if (!runs_given) throw UsageError("kf delete needs RUN names, -f FILE|DIR|- or --platform");
    return std::nullopt;
  }
  if (runs_given) throw UsageError("kf delete: give RUN names, or -f / --platform, not both");
  action::DeleteAppliedOptions o;
  o.files = flags.files;
  o.stdin_text = read_stdin_if(flags.files);
  o.platform = flags.platform;
  o.target = g.target;
  o.kubeconfig.kubeconfig = flags.kubeconfig;
  o.kubeconfig.context = flags.context;
  o.kubeconfig.namespace_ = flags.namespace_;
  o.dry_run = flags.dry_run == "server";
  const auto r = action::delete_applied(s.ctx, o);
  const std::string suffix = o.dry_run ? " (server dry run)" : "";
  if (g.output == "json" || g.output == "yaml") {
    std::vector<Json> objects;
    for (const auto& d : r.deleted) objects.push_back(d.object);
    print_objects(objects, g.output);
  } else {
    for (const auto& d : r.deleted) std::cout << d.display << ' ' << d.change << suffix << '\n';
  }
  if (r.deleted.empty() && !flags.platform) std::cerr << "nothing to delete\n";
  return 0;
}

} // namespace kf::cli
