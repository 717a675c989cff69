#include "libkf/target/target.h"

#include "libkf/target/summary.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::target {

Submitted Target::resume(const std::string& run, const Json& /*patch*/) {
  throw UsageError("the " + name() + " target cannot resume runs (" + run + ")");
}

Submitted Target::retry(const std::string& run) {
  throw UsageError("the " + name() + " target cannot retry runs (" + run + "); on a cluster, argo retry " + run + " does");
}

void check_run_name(const std::string& run) {
  if (run.empty() || run == "." || run == ".." || run.find_first_of(std::string("/\0", 2)) != std::string::npos || run.size() > 253)
    throw UsageError(str::quote(run) + " is not a run name (kf status lists the runs)");
}

void check_new_run_name(const std::string& run) {
  if (!str::is_dns1123_subdomain(run))
    throw UsageError("--name " + str::quote(run) + ": a run's name is its object's name, a lowercase RFC 1123 subdomain: "
                     "lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric "
                     "character (e.g. 'baseline-2')");
}

std::string kinds_text(const std::vector<std::string>& kinds) {
  std::string s;
  for (std::size_t i = 0; i < kinds.size(); ++i)
    s += (i == 0 ? "" : i + 1 == kinds.size() ? " and " : ", ") + kinds[i];
  return s;
}

std::string state_of(const Json& object) {
  if (!object.contains("status") || !object["status"].contains("conditions")) return "";
  std::string state;
  for (const auto& c : object["status"]["conditions"])
    if (c.value("status", "") == "True") state = c.value("type", "");
  return state;
}

bool is_finished(const Json& object) { return summarize(object).finished; }

} // namespace kf::target
