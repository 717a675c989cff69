// kf version — libkf/action/version.cpp
#include <iostream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/version.h"

namespace kf::cli {

void add_version(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("version", "Print kf's version");
  cmd->footer("Examples:\n"
              "  kf version\n"
              "  kf version -o json");
  on_run(*cmd, g, [](Session& s) {
    const auto v = action::version();
    if (s.g.output == "json" || s.g.output == "yaml") {
      print_data(Json{{"version", v.version}, {"compiler", v.compiler}, {"platform", v.platform}, {"build", v.build}},
                 s.g.output);
    } else {
      std::cout << "kf " << v.version << " (" << v.platform << ", " << v.build << ", " << v.compiler << ")\n";
    }
    return 0;
  });
}

} // namespace kf::cli
