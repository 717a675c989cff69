// kf version — libkf/action/version.cpp
#include <iostream>

#include "cli/app.h"
#include "cli/output.h"
#include "libkf/action/version.h"

namespace kf::cli {

void add_version(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("version", "Print kf's version");
  cmd->footer("Examples:\n"
              "  kf version\n"
              "  kf version -o json");
  cmd->callback([&g] {
    g.run = [&g] {
      const auto v = action::version();
      if (g.output == "json" || g.output == "yaml") {
        print_data(Json{{"version", v.version}, {"compiler", v.compiler}, {"platform", v.platform}, {"build", v.build}},
                   g.output);
      } else {
        std::cout << "kf " << v.version << " (" << v.platform << ", " << v.build << ", " << v.compiler << ")\n";
      }
      return 0;
    };
  });
}

} // namespace kf::cli
