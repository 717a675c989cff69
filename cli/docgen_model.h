#pragma once
// What kf-docgen knows about the command line: a plain copy of the CLI::App
// tree (verbs, options, positionals, completion hints, footer parts), built
// once by model() and read by the bash, zsh, fish and man writers
// (cli/docgen_*.cpp). Values only; no pointers into the app survive.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace kf::cli::docs::detail {

struct Opt {
  std::vector<std::string> shorts; // "-o"
  std::vector<std::string> longs;  // "--output"
  std::string positional;          // a positional's name ("what"); "" for options
  std::string description;
  std::string value_name;          // "FORMAT"; "" for a flag
  std::vector<std::string> choices; // from hint_for(): fixed words
  std::string kind;                // from hint_for(): "file", "dir", "" or a dynamic kind ("run", ...)
  std::string envname;             // "KF_SCHEMAS" or ""
  bool required = false;
  bool repeatable = false;         // may be given more than once (or takes many words)
  bool help = false;               // -h/--help or --help-all
  int words = 1;                   // positionals: how many words it takes; -1 = any number

  bool flag() const { return value_name.empty() && positional.empty(); }
  // A value `kf __complete` computes (run names, targets, ...): see Hint::dynamic().
  bool dynamic() const { return !kind.empty() && kind != "file" && kind != "dir"; }
  std::vector<std::string> names() const; // shorts, then longs
};

struct Command {
  std::string name;        // "kf" for the root, else the verb
  std::string description;
  std::vector<std::string> notes;    // footer paragraphs that are neither examples nor exit status
  std::string exit_status;           // footer paragraph after "Exit status:", if any
  std::vector<std::string> examples; // footer lines after "Examples:", dedented
  std::vector<Opt> options;          // non-positional, in definition order
  std::vector<Opt> positionals;      // in order

  // Options a shell should offer: all but --help-all on a verb.
  std::vector<const Opt*> completable() const;
  // Options a man page lists: all but the help flags (kept on kf.1).
  std::vector<const Opt*> documented(bool keep_help) const;
};

struct Cli {
  Command root;
  std::vector<Command> verbs;
};

Cli model(const CLI::App& app);

// Small text helpers shared by the writers.
std::string join(const std::vector<std::string>& parts, const std::string& sep);
std::vector<std::string> lines(const std::string& text);
std::string lower(std::string s);

} // namespace kf::cli::docs::detail

namespace kf::cli::docs {
// The writers (docgen_bash/zsh/fish/man.cpp) speak of these by their short names.
using detail::Command;
using detail::join;
using detail::Opt;
} // namespace kf::cli::docs
