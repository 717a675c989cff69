// `kf tune` and `kf pipeline run`: render one object and submit it to a
// target that runs its kind (Target::kinds()).
#include <algorithm>

#include "libkf/action/runs.h"
#include "libkf/render/render.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace {

// `what` names the object for the message: "Katib Experiment".
void need_kind(const ProjectTarget& pt, const std::string& verb, const Json& object, const std::string& what) {
  const auto kinds = pt.target->kinds();
  if (kinds.empty() || std::find(kinds.begin(), kinds.end(), object.value("kind", "")) != kinds.end()) return;
  const bool vowel = !what.empty() && std::string("AEIOU").find(what[0]) != std::string::npos;
  throw UsageError(verb + " submits " + (vowel ? "an " : "a ") + what + ", which needs its controller on a cluster: choose a cluster target " +
                   "with --target NAME (the " + pt.target->name() + " target runs " + target::kinds_text(kinds) + ")");
}

TrainResult submit(const Context& ctx, ProjectTarget& pt, const Json& object, const std::string& run_name,
                   const Json& parameters, std::vector<Json> supporting = {}) {
  target::SubmitOptions so;
  so.run_name = run_name;
  so.parameters = parameters;
  so.supporting = std::move(supporting);
  const auto submitted = pt.target->submit(object, so);
  ctx.reporter.debug("submitted " + object.value("kind", "") + " " + submitted.run);
  return {submitted.run, pt.target_name, submitted.object, submitted.where};
}

} // namespace

TrainResult tune(const Context& ctx, const TrainOptions& options, ProjectTarget& pt) {
  const render::Renderer renderer(pt.loaded.project, pt.loaded.dir);
  const Json experiment = renderer.experiment();
  need_kind(pt, "kf tune", experiment, "Katib Experiment");
  // operator v2's trials are TrainJobs on the project's TrainingRuntime: it goes along.
  return submit(ctx, pt, experiment, options.run_name, Json::object(), renderer.training_support());
}

TrainResult pipeline_run(const Context& ctx, const PipelineRunOptions& options, ProjectTarget& pt) {
  const auto& pipelines = pt.loaded.project.pipelines;
  std::vector<std::string> names;
  for (const auto& p : pipelines) names.push_back(p.name);
  const spec::PipelineSpec* pipeline = nullptr;
  if (options.pipeline.empty()) {
    if (pipelines.size() != 1)
      throw UsageError(pipelines.empty() ? "the project has no spec.pipelines: add one to kf.yaml"
                                         : "the project has " + std::to_string(pipelines.size()) +
                                               " pipelines; name one: " + str::join(names, ", "));
    pipeline = &pipelines.front();
  } else if (!(pipeline = pt.loaded.project.find_pipeline(options.pipeline))) {
    throw UsageError("unknown pipeline " + str::quote(options.pipeline) + str::did_you_mean(options.pipeline, names) +
                     "; pipelines: " + str::join(names, ", "));
  }
  const render::Renderer renderer(pt.loaded.project, pt.loaded.dir);
  Json workflow = renderer.workflow(*pipeline);
  need_kind(pt, "kf pipeline run", workflow, "Argo Workflow");
  set_workflow_parameters(workflow, options.parameters);
  if (options.no_cache) disable_step_cache(workflow);
  Json parameters = Json::object();
  for (const auto& [name, value] : pipeline->parameters) parameters[name] = value;
  for (const auto& p : json_field(json_field(workflow, "spec"), "arguments").value("parameters", Json::array()))
    parameters[p.value("name", "")] = p.value("value", "");
  return submit(ctx, pt, workflow, options.run_name, parameters);
}

} // namespace kf::action
