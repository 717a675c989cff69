#pragma once
// Decoding a merged kf.yaml tree into spec::Project, and the checks that
// span several fields (ranges, pipeline graphs, references between names).
// Both collect every problem and throw one SpecError listing them all.

#include "libkf/spec/project.h"
#include "libkf/util/yaml.h"

namespace kf::spec {

Project decode_project(const yaml::Node& root);

// The component names kf's index (manifests/components.yaml) knows.
const std::vector<std::string>& known_components();

} // namespace kf::spec
