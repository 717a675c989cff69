#pragma once
// `kf delete -f FILE|DIR|-` and `kf delete --platform`: the flags and the
// branch that `kf delete` (cmd_status.cpp, which deletes runs) hands over to
// when they are given. Implemented in cmd_apply.cpp.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/session.h"

namespace kf::cli {

struct DeleteAppliedFlags {
  std::vector<std::string> files;
  bool platform = false;
  std::string kubeconfig, context, namespace_;
  std::string dry_run = "none"; // --dry-run=none|server
};

void add_delete_applied_flags(CLI::App& cmd, DeleteAppliedFlags& flags);
// With -f or --platform: deletes what kf applied and returns the exit code.
// Without them: nullopt when `runs` were given, else a UsageError.
std::optional<int> run_delete_applied(Session& s, const DeleteAppliedFlags& flags, bool runs_given);

} // namespace kf::cli
