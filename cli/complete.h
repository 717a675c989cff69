#pragma once
// `kf __complete ARGS... WORD`: cobra's completion protocol, so that shell
// scripts (and tools that speak it) ask kf what may come next on a command
// line. ARGS are the words after `kf`, WORD the one being completed ("" for a
// new word). kf prints one candidate a line ("value" or "value<TAB>help"),
// then ":N", cobra's directive (bit 1 error, 2 no space, 4 no file
// completion, 16 directories only); 0 lets the shell complete file names.
// Values come from the CLI definition (verbs, options, Hint choices) and,
// for run names, targets, contexts, pipelines and notebooks, from
// libkf/action/complete.

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace kf::cli {

// Writes the candidates and the directive to `out` and cobra's trailer line
// to `err`; returns 0 (a failure is the error directive, never an exit code).
int complete(const CLI::App& app, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace kf::cli
