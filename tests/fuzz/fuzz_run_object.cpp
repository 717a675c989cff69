// libFuzzer target: a run's object.json as kf reads it back from .kf/runs
// (libkf/local/run_dir.cpp read_run_object), then what `kf status` makes of
// it: its state, whether it has finished, its summary line, and for a
// Workflow the tree of its nodes (libkf/target). The file is outside input
// (edited by hand, or by another tool): only kf::Error may come out.
#include <cstdint>
#include <filesystem>
#include <string>

#include "libkf/local/run_dir.h"
#include "libkf/target/summary.h"
#include "libkf/target/target.h"
#include "libkf/target/workflow_tree.h"
#include "libkf/util/error.h"
#include "tests/fuzz/scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path file = kf::fuzz::scratch_file("object.json", data, size);
  try {
    const auto object = kf::local::read_run_object(kf::local::RunDir{file.parent_path()});
    if (!object) return 0;
    (void)kf::target::state_of(*object);
    (void)kf::target::is_finished(*object);
    (void)kf::target::summarize(*object);
    if (object->value("kind", "") == "Workflow") (void)kf::target::workflow_tree(*object, 1800000000);
  } catch (const kf::Error&) {
  }
  return 0;
}
