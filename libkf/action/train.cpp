#include "libkf/action/runs.h"

#include "libkf/render/render.h"
#include "libkf/render/trainer_image.h"
#include "libkf/spec/target.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::action {

TrainResult train(const Context& ctx, const TrainOptions& options, ProjectTarget& pt) {
  const render::Renderer renderer(pt.loaded.project, pt.loaded.dir);
  const Json job = renderer.training();
  target::SubmitOptions so;
  so.run_name = options.run_name;
  so.supporting = renderer.training_support();
  for (const auto& [name, value] : pt.loaded.project.training.hyperparameters) so.parameters[name] = value;
  const auto submitted = pt.target->submit(job, so);
  ctx.reporter.debug("submitted " + job.value("kind", "") + " " + submitted.run);
  return {submitted.run, pt.target_name, submitted.object, submitted.where};
}

} // namespace kf::action
