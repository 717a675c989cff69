#include "libkf/action/complete.h"

#include <algorithm>

#include "libkf/action/runs.h"
#include "libkf/kube/kubeconfig.h"
#include "libkf/spec/load.h"
#include "libkf/util/error.h"

namespace kf::action {

namespace {

std::vector<std::string> contexts(const std::string& kubeconfig) {
  kube::KubeconfigOptions ko;
  ko.kubeconfig = kubeconfig;
  return kube::kubeconfig_contexts(ko);
}

std::vector<std::string> targets(const CompleteOptions& options) {
  std::vector<std::string> out{"local"};
  // Outside a project only the local target and the contexts exist.
  if (spec::find_project_file(options.load.start))
    for (const auto& t : spec::load_project(options.load).project.targets) out.push_back(t.name);
  try {
    for (auto& c : contexts(options.kubeconfig)) out.push_back(std::move(c));
  } catch (const Error&) {
    // A broken kubeconfig must not hide kf.yaml's targets.
  }
  return out;
}

} // namespace

std::vector<std::string> complete(const Context& ctx, Completion what, const CompleteOptions& options) {
  std::vector<std::string> out;
  switch (what) {
  case Completion::Run: {
    auto pt = open_target(ctx, options.load, options.target);
    out = pt.target->list();
    out.push_back("@latest");
    break;
  }
  case Completion::Target:
    out = targets(options);
    break;
  case Completion::Context:
    out = contexts(options.kubeconfig);
    break;
  case Completion::Pipeline:
    for (const auto& p : spec::load_project(options.load).project.pipelines) out.push_back(p.name);
    break;
  case Completion::Notebook:
    for (const auto& n : spec::load_project(options.load).project.notebooks) out.push_back(n.name);
    break;
  }
  std::vector<std::string> unique;
  for (auto& s : out)
    if (std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(std::move(s));
  return unique;
}

} // namespace kf::action
