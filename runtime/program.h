#pragma once
// The main() of kf-trainer and kf-server around their work: CLI11 parses the
// flags (exit 0 after --help, 2 for bad flags), then `body` runs; the error
// family is caught once here: "<program>: error: <what>" on stderr and its
// exit code (1, or 2 for a UsageError).

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "runtime/error.h"

namespace kf::trainer {

template <typename Body>
int run_program(CLI::App& app, int argc, char** argv, Body&& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  const std::string name = app.get_name();
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return 1;
  }
}

} // namespace kf::trainer
