// A batch/v1 Job as the Job controller would run it (plan.h).
#include "libkf/local/container.h"
#include "libkf/local/plan.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

// A non-negative integer field, or `fallback` when absent.
int count_field(const Json& spec, const char* key, int fallback) {
  if (!spec.contains(key) || spec[key].is_null()) return fallback;
  if (!spec[key].is_number_integer() || spec[key].get<long long>() < 0)
    throw FieldError(std::string("spec.") + key, "must be a non-negative integer, not " + spec[key].dump());
  return spec[key].get<int>();
}

} // namespace

JobPlan plan_batch_job(const Json& job, const ContainerOptions& o) {
  const Json& spec = json_field(job, "spec");
  const Json& pod = json_field(json_field(spec, "template"), "spec");
  if (!pod.is_object()) throw FieldError("spec.template.spec", "missing: a Job needs a pod template");
  JobPlan plan;
  plan.kind = "Job";
  plan.name = json_text(json_field(job, "metadata"), "name");
  plan.types = {"Pod"};
  plan.backoff_limit = count_field(spec, "backoffLimit", 6);
  plan.parallelism = count_field(spec, "parallelism", 1);
  plan.completions = count_field(spec, "completions", spec.contains("parallelism") ? 0 : 1);
  plan.active_deadline_seconds = count_field(spec, "activeDeadlineSeconds", 0);
  const std::string mode = json_field(spec, "completionMode").is_string() ? json_text(spec, "completionMode") : "NonIndexed";
  if (mode != "NonIndexed" && mode != "Indexed")
    throw FieldError("spec.completionMode", str::quote(mode) + " is not NonIndexed or Indexed");
  plan.indexed = mode == "Indexed";
  if (plan.indexed && plan.completions == 0)
    throw FieldError("spec.completions", "an Indexed Job needs completions (the number of indexes)");
  if (json_field(spec, "suspend") == Json(true))
    throw FieldError("spec.suspend", "a suspended Job does not run on the local target (set it to false)");

  const std::string policy = json_text(pod, "restartPolicy");
  if (policy != "OnFailure" && policy != "Never")
    throw FieldError("spec.template.spec.restartPolicy",
                     policy.empty() ? "required: OnFailure or Never (a Job's pods cannot restart Always)"
                                    : str::quote(policy) + " is not OnFailure or Never (a Job's pods cannot restart Always)");
  if (pod.contains("initContainers") && pod["initContainers"].is_array() && !pod["initContainers"].empty())
    throw FieldError("spec.template.spec.initContainers", "init containers do not run on the local target");
  const Json& containers = json_field(pod, "containers");
  if (!containers.is_array() || containers.empty()) throw FieldError("spec.template.spec.containers", "no containers");
  if (containers.size() > 1)
    throw FieldError("spec.template.spec.containers",
                     "the local target runs one container per pod, this pod has " + std::to_string(containers.size()));
  const auto process = container_process(containers[0], "spec.template.spec.containers[0]", o);
  plan.replicas.push_back(replica_plan(process, "Pod", 0, "pod", policy));
  return plan;
}

} // namespace kf::local
