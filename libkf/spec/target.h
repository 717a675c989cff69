#pragma once
// Choosing where verbs run: --target NAME, else spec.defaultTarget. "local"
// always exists (this machine); other names must be declared in
// spec.targets. A target's namespace, when set, is where the project's
// objects go (as `helm template --namespace`).

#include <string>

#include "libkf/spec/project.h"

namespace kf::spec {

// The target named `name` ("" = the project's default). Unknown names throw
// UsageError with a did-you-mean.
TargetSpec resolve_target(const Project& project, const std::string& name);

// resolve_target, then moves the project into the target's namespace.
TargetSpec select_target(Project& project, const std::string& name);

} // namespace kf::spec
