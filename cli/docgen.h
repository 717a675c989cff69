#pragma once
// Shell completions and man pages generated from the CLI::App definition,
// so they never go stale: kf-docgen writes them into completions/ and man/
// (a test regenerates and compares), and `kf completion SHELL` prints the
// same scripts.

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kf::cli::docs {

std::string bash_completion(const CLI::App& app);
std::string zsh_completion(const CLI::App& app);
std::string fish_completion(const CLI::App& app);

// Hand-written roff sections for a page ("kf-init.1" -> text), inserted
// before SEE ALSO: reference material too long for --help (man/extra/*.in).
using ManExtras = std::map<std::string, std::string>;

// {file name, roff text}: "kf.1" and one "kf-VERB.1" per verb.
std::vector<std::pair<std::string, std::string>> man_pages(const CLI::App& app, const ManExtras& extras = {});

} // namespace kf::cli::docs
