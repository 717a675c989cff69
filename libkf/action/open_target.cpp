// Choosing and opening the target a verb runs on: --target NAME, else
// kf.yaml's defaultTarget. NAME is "local", a target of kf.yaml's
// spec.targets, or else a context of the kubeconfig (as kubectl's --context).
#include <filesystem>

#include "libkf/action/runs.h"
#include "libkf/cluster/cluster_target.h"
#include "libkf/kube/discovery_cache.h"
#include "libkf/kube/kubeconfig.h"
#include "libkf/kube/redact.h"
#include "libkf/kube/rest_client.h"
#include "libkf/local/local_target.h"
#include "libkf/local/run_dir.h"
#include "libkf/render/trainer_image.h"
#include "libkf/spec/target.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace {

// kf.yaml's target, or a kubeconfig context of that name; else the UsageError naming kf.yaml's targets.
spec::TargetSpec choose(spec::Project& project, const std::string& name) {
  try {
    return spec::select_target(project, name);
  } catch (const UsageError& unknown) {
    if (name.empty()) throw;
    try {
      kube::KubeconfigOptions ko;
      ko.context = name;
      (void)kube::load_kubeconfig(ko);
    } catch (const Error&) {
      throw unknown; // not a context either: the message about kf.yaml's targets is the helpful one
    }
    spec::TargetSpec t;
    t.name = name;
    t.type = "cluster";
    t.context = name;
    return t;
  }
}

// On this machine a replica runs in its run directory, so a relative data
// path in kf.yaml (relative to the project, as `kf init --example intents`
// writes it) becomes absolute; a cluster gets kf.yaml's text unchanged.
void anchor_data_paths(spec::Project& project, const std::filesystem::path& dir) {
  for (std::string* path : {&project.training.data.source, &project.training.data.test_source}) {
    if (path->empty() || *path == "synthetic" || path->find("://") != std::string::npos) continue;
    const std::filesystem::path p(*path);
    if (p.is_relative()) *path = (dir / p).lexically_normal().string();
  }
}

// kf.yaml as usual; without one (and without -f/--set for it), the
// directory that holds (or will hold) the runs, as an empty project.
spec::LoadedProject load_or_bare(const spec::LoadOptions& load, WithoutProject without) {
  namespace stdfs = std::filesystem;
  const bool values_given = !load.values_files.empty() || !load.set_values.empty();
  if (without == WithoutProject::refuse || values_given || spec::find_project_file(load.start))
    return spec::load_project(load);
  std::error_code ec;
  stdfs::path start = stdfs::absolute(load.start, ec).lexically_normal();
  if (start.filename().empty()) start = start.parent_path(); // "/a/b/" -> "/a/b"
  spec::LoadedProject bare;
  bare.bare = true;
  for (stdfs::path d = start;; d = d.parent_path()) {
    if (stdfs::is_directory(local::runs_root(d), ec)) {
      bare.dir = d;
      break;
    }
    if (d == d.parent_path()) break;
  }
  if (bare.dir.empty()) {
    if (without == WithoutProject::existing_runs)
      throw UsageError("no " + std::string(spec::k_project_file) + " in " + start.string() +
                      " or any parent directory, and no runs of 'kf submit' there (.kf/runs): create a project with "
                      "'kf init', or run a manifest with 'kf submit -f FILE'");
    bare.dir = start;
  }
  bare.project.name = bare.dir.filename().string();
  bare.project.default_target = "local";
  return bare;
}

} // namespace

ProjectTarget open_target(const Context& ctx, const spec::LoadOptions& load, const std::string& target,
                          const TargetOverrides& overrides) {
  ProjectTarget pt{load_or_bare(load, overrides.without_project), "", nullptr};
  const spec::TargetSpec t = choose(pt.loaded.project, target);
  pt.target_name = t.name;
  if (t.type == "local") {
    anchor_data_paths(pt.loaded.project, pt.loaded.dir);
    local::LocalOptions o;
    o.project_dir = pt.loaded.dir;
    o.project = pt.loaded.project.name;
    if (!pt.loaded.bare) o.trainer_image = render::trainer_image(pt.loaded.project, pt.loaded.dir);
    o.serve_port = overrides.serve_port;
    pt.target = std::make_unique<local::LocalTarget>(o);
    ctx.reporter.debug("target local: runs in " + local::runs_root(pt.loaded.dir).string());
    return pt;
  }
  kube::KubeconfigOptions ko;
  if (!t.kubeconfig.empty()) {
    const std::filesystem::path p(t.kubeconfig);
    ko.kubeconfig = (p.is_absolute() ? p : pt.loaded.dir / p).lexically_normal().string();
  }
  ko.context = t.context;
  ko.namespace_ = t.namespace_;
  kube::ClusterConfig config;
  try {
    config = kube::load_kubeconfig(ko);
  } catch (const UsageError& e) {
    throw UsageError("target " + str::quote(t.name) + ": " + e.what());
  } catch (const Error& e) {
    throw Error("target " + str::quote(t.name) + ": " + e.what());
  }
  kube::RestOptions ro;
  ro.cache_dir = kube::default_discovery_cache_dir();
  ro.debug = [&reporter = ctx.reporter](std::string_view line) { reporter.debug(std::string(line)); };
  cluster::ClusterOptions co;
  co.name = t.name;
  co.namespace_ = t.namespace_.empty() ? config.namespace_ : t.namespace_;
  co.project = pt.loaded.project.name;
  co.project_dir = pt.loaded.dir;
  // Objects are rendered into the namespace they run in.
  pt.loaded.project.namespace_ = co.namespace_;
  pt.target = std::make_unique<cluster::ClusterTarget>(std::shared_ptr<kube::Client>(kube::connect(config, ro)), co);
  ctx.reporter.debug("target " + t.name + ": " + kube::redact(config.server) + " (context " + config.context + "), namespace " + co.namespace_);
  return pt;
}

} // namespace kf::action
