#include "libkf/spec/project.h"

namespace kf::spec {

std::string ImageSpec::ref() const {
  std::string out = registry.empty() ? name : registry + "/" + name;
  return out + ":" + (tag.empty() ? "latest" : tag);
}

const PipelineSpec* Project::find_pipeline(std::string_view n) const {
  for (const auto& p : pipelines)
    if (p.name == n) return &p;
  return nullptr;
}

const TargetSpec* Project::find_target(std::string_view n) const {
  for (const auto& t : targets)
    if (t.name == n) return &t;
  return nullptr;
}

} // namespace kf::spec
