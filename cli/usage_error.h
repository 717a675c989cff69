#pragma once
// What kf says about a command line CLI11 refused: CLI11's message, made
// kubectl-like where it is terse — a mistyped verb or flag gets the one meant
// ("unknown flag --wtach for 'kf status' (did you mean '--watch'?)"), and the
// help to read is the verb's, not the top level's. `kf` or `kf pipeline` with
// no verb prints its help, as kubectl and helm do.

#include <CLI/CLI.hpp>

#include <ostream>

namespace kf::cli {

// Writes the message (or the help) and returns the exit code: 2, or 0 when
// only the help was asked for by leaving the verb out.
int report_usage_error(const CLI::App& app, const CLI::ParseError& error, bool color, std::ostream& out,
                       std::ostream& err);

} // namespace kf::cli
