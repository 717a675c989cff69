#include "cli/usage_error.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "cli/output.h"
#include "libkf/util/strings.h"

namespace kf::cli {
namespace {

// The verb the parse reached: `kf`, `kf status`, `kf pipeline run`.
const CLI::App* deepest(const CLI::App& app) {
  const CLI::App* at = &app;
  for (auto subs = at->get_subcommands(); !subs.empty(); subs = at->get_subcommands()) at = subs.back();
  return at;
}

// A verb group (`kf`, `kf pipeline`) run without one of its verbs.
bool verb_missing(const CLI::App* at) { return at->get_require_subcommand_min() > 0 && at->get_subcommands().empty(); }

std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* up = app->get_parent(); up != nullptr; up = up->get_parent())
    path = up->get_name() + " " + path;
  return path;
}

// The flags a verb takes: its own and those above it (global options are
// accepted after the verb too).
std::vector<std::string> flag_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* at = app; at != nullptr; at = at->get_parent())
    for (const CLI::Option* opt : at->get_options()) {
      for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
      for (const std::string& n : opt->get_snames()) names.push_back("-" + n);
    }
  return names;
}

std::vector<std::string> verb_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App* s) { return !s->get_name().starts_with("__"); }))
    names.push_back(sub->get_name());
  return names;
}

// A long flag close to one the verb takes, or a verb written as a flag
// (`kf --versoin`: 'kf version'). A one-letter flag is too short to guess.
std::string flag_suggestion(const CLI::App* at, const std::string& flag) {
  if (!flag.starts_with("--")) return "";
  if (auto flag_meant = str::closest(flag, flag_names(at))) return " (did you mean '" + *flag_meant + "'?)";
  const std::vector<std::string> verbs = verb_names(at);
  const std::string bare = flag.substr(2);
  std::optional<std::string> verb = str::closest(bare, verbs);
  if (std::find(verbs.begin(), verbs.end(), bare) != verbs.end()) verb = bare; // `kf --version`
  if (verb) return " (did you mean '" + command_path(at) + " " + *verb + "'?)";
  return "";
}

// The words nothing took, in the order given (CLI11 leaves them with the
// verb that fell through to its parent, or with the top level).
std::vector<std::string> unclaimed(const CLI::App& app, const CLI::App* at) {
  std::vector<std::string> words = at->remaining();
  if (words.empty()) words = app.remaining(true);
  return words;
}

std::string message(const CLI::App& app, const CLI::App* at, const CLI::ParseError& error) {
  const std::vector<std::string> words = unclaimed(app, at);
  if (!words.empty() && !words.front().empty() && words.front()[0] == '-' && words.front() != "-") {
    const std::string flag = words.front().substr(0, words.front().find('='));
    return "unknown flag " + flag + " for '" + command_path(at) + "'" + flag_suggestion(at, flag);
  }
  if (!words.empty() && verb_missing(at))
    return "unknown verb \"" + words.front() + "\" for '" + command_path(at) + "'" +
           str::did_you_mean(words.front(), verb_names(at));
  return error.what();
}

} // namespace

int report_usage_error(const CLI::App& app, const CLI::ParseError& error, bool color, std::ostream& out,
                       std::ostream& err) {
  const CLI::App* at = deepest(app);
  if (verb_missing(at) && dynamic_cast<const CLI::RequiredError*>(&error) != nullptr && unclaimed(app, at).empty()) {
    out << app.help(); // the root delegates to the verb, naming it "kf pipeline"
    return 0;
  }
  err << paint(color, "31", "error:") << ' ' << message(app, at, error) << '\n'
      << "Run '" << command_path(at) << " --help' for usage.\n";
  return 2;
}

} // namespace kf::cli
