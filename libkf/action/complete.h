#pragma once
// The values `kf __complete` offers that depend on the project and the
// machine rather than on the command line's definition: run names, targets,
// kubeconfig contexts, pipelines and notebooks. Errors propagate (the
// completion engine turns them into cobra's error directive).

#include <string>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/spec/load.h"

namespace kf::action {

enum class Completion {
  Run,      // the runs of the target (--target, else kf.yaml's default), and @latest
  Target,   // "local", kf.yaml's spec.targets, then the kubeconfig's contexts
  Context,  // the kubeconfig's contexts
  Pipeline, // kf.yaml's spec.pipelines
  Notebook, // kf.yaml's spec.notebooks
};

struct CompleteOptions {
  spec::LoadOptions load;
  std::string target;     // --target, as for every verb
  std::string kubeconfig; // --kubeconfig, where the verb has one
};

// Every candidate, unfiltered and without duplicates, in the order shown above.
std::vector<std::string> complete(const Context& ctx, Completion what, const CompleteOptions& options);

} // namespace kf::action
