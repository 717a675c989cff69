#include "libkf/spec/target.h"

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::spec {

TargetSpec resolve_target(const Project& project, const std::string& name) {
  const std::string wanted = name.empty() ? project.default_target : name;
  if (const TargetSpec* t = project.find_target(wanted)) return *t;
  if (wanted == "local") {
    TargetSpec local;
    local.name = "local";
    local.type = "local";
    return local;
  }
  std::vector<std::string> names{"local"};
  for (const auto& t : project.targets)
    if (t.name != "local") names.push_back(t.name);
  throw UsageError("unknown target " + str::quote(wanted) + str::did_you_mean(wanted, names) +
                   "; targets: " + str::join(names, ", ") + " (declare clusters under spec.targets in kf.yaml)");
}

TargetSpec select_target(Project& project, const std::string& name) {
  TargetSpec t = resolve_target(project, name);
  if (!t.namespace_.empty()) project.namespace_ = t.namespace_;
  return t;
}

} // namespace kf::spec
