// kf __supervise — libkf/local/supervisor.cpp. Hidden: LocalTarget::submit
// starts it, in a session of its own, for every local run.
#include "cli/app.h"
#include "libkf/local/supervisor.h"

namespace kf::cli {

void add_supervise(CLI::App& app, Globals& g) {
  auto o = std::make_shared<local::SuperviseOptions>();
  auto* cmd = app.add_subcommand("__supervise", "");
  cmd->group(""); // hidden from help, completions and man pages
  cmd->add_option("--run-dir", o->run_dir)->required();
  cmd->add_option("--metadata", o->metadata_db)->required();
  cmd->add_option("--restarts", o->restarts);
  cmd->callback([&g, o] {
    g.run = [o] { return local::supervise(*o); };
  });
}

} // namespace kf::cli
