#include "libkf/action/render.h"

#include "libkf/spec/target.h"

namespace kf::action {

RenderResult render(const Context& ctx, const RenderOptions& options) {
  auto loaded = spec::load_project(options.load);
  const auto target = spec::select_target(loaded.project, options.target);
  ctx.reporter.debug("project " + loaded.project.name + " from " + loaded.file.string() + ", target " + target.name +
                     ", namespace " + loaded.project.namespace_);
  const render::Renderer renderer(loaded.project, loaded.dir);
  return RenderResult{renderer.render(options.selection)};
}

} // namespace kf::action
