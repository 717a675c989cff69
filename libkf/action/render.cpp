#include "libkf/action/render.h"

namespace kf::action {

RenderResult render(const Context& ctx, const RenderOptions& options) {
  const auto loaded = spec::load_project(options.load);
  ctx.reporter.debug("project " + loaded.project.name + " from " + loaded.file.string());
  const render::Renderer renderer(loaded.project, loaded.dir);
  return RenderResult{renderer.render(options.selection)};
}

} // namespace kf::action
