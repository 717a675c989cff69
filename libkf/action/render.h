#pragma once
// `kf render`: load the project, render the selected objects.

#include <filesystem>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/render/render.h"
#include "libkf/spec/load.h"

namespace kf::action {

struct RenderOptions {
  spec::LoadOptions load;       // where kf.yaml is, -f values, --set
  render::Selection selection;  // default: all
  std::string target;           // --target; "" = spec.defaultTarget (its namespace applies)
};

struct RenderResult {
  std::vector<Json> objects; // in apply order
};

RenderResult render(const Context& ctx, const RenderOptions& options);

} // namespace kf::action
