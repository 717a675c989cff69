// kf: parse the command line, run the chosen verb, and turn every error
// into a message and an exit code in one place:
//   0 success, 1 failure, 2 usage or spec error.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "cli/app.h"
#include "cli/complete.h"
#include "cli/output.h"
#include "cli/usage_error.h"
#include "libkf/util/error.h"

int main(int argc, char** argv) {
  kf::cli::Globals globals;
  const bool completing = argc > 1 && std::string_view(argv[1]) == "__complete";
  auto app = kf::cli::make_app(globals, completing ? std::string_view() : kf::cli::verb_of(argc, argv));
  // Installed as kubectl-kf, kf is a kubectl plugin: `kubectl kf status` runs
  // `kubectl-kf status`, and its messages name the command as typed.
  if (argc > 0 && std::filesystem::path(argv[0]).filename() == "kubectl-kf") app->name("kubectl kf");
  if (completing)
    return kf::cli::complete(*app, std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::ParseError& e) {
    return kf::cli::report_usage_error(*app, e, kf::cli::use_color(globals, stderr), std::cout, std::cerr);
  } catch (const kf::Error& e) {
    // A verb's callback validates nothing itself; kept for safety.
    std::cerr << "error: " << e.what() << '\n';
    return e.exit_code();
  }

  const bool color = kf::cli::use_color(globals, stderr);
  try {
    if (!globals.dir.empty() && ::chdir(globals.dir.c_str()) != 0)
      throw kf::UsageError("-C " + globals.dir + ": " + std::strerror(errno));
    return globals.run ? globals.run() : 0;
  } catch (const kf::SpecError& e) {
    // Diagnostics already read "file:line:col: field.path: message".
    for (const auto& d : e.diagnostics()) std::cerr << d << '\n';
    return e.exit_code();
  } catch (const kf::Error& e) {
    std::cerr << kf::cli::paint(color, "31", "error:") << ' ' << e.what() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << kf::cli::paint(color, "31", "internal error:") << ' ' << e.what() << '\n';
    return 1;
  }
}
