#pragma once
// Helpers for server_unit: a tiny exported model in a temporary directory.

#include "runtime/export.h"
#include "runtime/model.h"
#include "tests/runtime/unit/support.h"

#include <filesystem>
#include <string>

namespace kf::server::test {

using trainer::test::error_of; // the trainer tests' helpers (tests/runtime/unit/support.h)

// A fresh directory "kf-trainer-server-<name>-<pid>" under the system temp dir.
inline std::filesystem::path temp_dir(const std::string& name) { return trainer::test::temp_dir("server", name); }

// An MLP 1x4x4 -> 8 -> 3 (or a small CNN) with seeded weights, exported to `dir`.
inline trainer::ModelConfig tiny_config(const std::string& kind = "mlp") {
  trainer::ModelConfig c;
  c.kind = kind;
  c.hidden = {8};
  c.conv_channels = {2};
  c.input = {1, 4, 4};
  c.classes = 3;
  return c;
}

inline void export_tiny(const std::filesystem::path& dir, const std::string& kind = "mlp") {
  trainer::Model m(tiny_config(kind), 42);
  trainer::export_model(dir.string(), m, nlohmann::json::object());
}

} // namespace kf::server::test
