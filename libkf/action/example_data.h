#pragma once
// Data files compiled into kf for `kf init --example` (example_data.cpp).

#include <string_view>
#include <vector>

namespace kf::action {

struct ExampleFile {
  std::string_view path;    // where it goes in the project
  std::string_view content;
};

// BANKING77 (CC BY 4.0, PolyAI): data/train.csv, data/test.csv, data/LICENSE, data/README.md.
const std::vector<ExampleFile>& banking77_files();

} // namespace kf::action
