// kf __complete: walks the words typed so far over the CLI::App tree (the
// same definition kf parses with), then lists what may come at the last one.
#include "cli/complete.h"

#include <unistd.h>

#include <optional>

#include "cli/app.h"
#include "libkf/action/complete.h"
#include "libkf/util/error.h"

namespace kf::cli {

namespace {

enum Directive : int { k_default = 0, k_error = 1, k_no_file = 4, k_dirs = 16 };

const char* directive_name(int d) {
  switch (d) {
  case k_error: return "ShellCompDirectiveError";
  case k_no_file: return "ShellCompDirectiveNoFileComp";
  case k_dirs: return "ShellCompDirectiveFilterDirs";
  default: return "ShellCompDirectiveDefault";
  }
}

struct Candidate {
  std::string value, help;
};

struct Answer {
  std::vector<Candidate> candidates;
  int directive = k_no_file;
};

bool visible(const CLI::Option* o) { return !o->get_group().empty(); }
bool takes_value(const CLI::Option* o) { return o->get_items_expected_max() > 0; }

// What the walk over the typed words found.
struct Walk {
  const CLI::App* app = nullptr;         // the deepest verb named
  const CLI::Option* pending = nullptr;  // an option still waiting for its value
  std::vector<std::string> positionals;  // the verb's positional words so far
  std::string dir, target, kubeconfig;   // -C, --target, --kubeconfig: what the values depend on
};

// The option named `name` ("--target", "-o") on `app` or a verb above it (kf's verbs fall through).
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app; app = app->get_parent())
    for (const CLI::Option* o : app->get_options())
      if (!o->get_positional() || !o->get_lnames().empty() || !o->get_snames().empty()) {
        const bool is_long = name.rfind("--", 0) == 0;
        if (is_long ? o->check_lname(name.substr(2)) : name.size() == 2 && o->check_sname(name.substr(1))) return o;
      }
  return nullptr;
}

void record(Walk& w, const CLI::Option* o, const std::string& value) {
  if (o->check_lname("directory")) w.dir = value;
  if (o->check_lname("target")) w.target = value;
  if (o->check_lname("kubeconfig")) w.kubeconfig = value;
}

const CLI::App* find_verb(const CLI::App* app, const std::string& name) {
  for (const CLI::App* sub : app->get_subcommands({}))
    if (sub->get_name() == name) return sub;
  return nullptr;
}

Walk walk(const CLI::App& root, const std::vector<std::string>& words) {
  Walk w;
  w.app = &root;
  bool only_positionals = false;
  for (const auto& word : words) {
    if (w.pending) {
      record(w, w.pending, word);
      w.pending = nullptr;
    } else if (!only_positionals && word == "--") {
      only_positionals = true;
    } else if (!only_positionals && word.size() > 1 && word[0] == '-') {
      const bool is_long = word.rfind("--", 0) == 0;
      const auto eq = word.find('=');
      const std::string name = is_long ? word.substr(0, eq) : word.substr(0, 2);
      const CLI::Option* o = find_option(w.app, name);
      if (!o || !takes_value(o)) continue; // a flag (or -vv): nothing to remember
      if (is_long && eq != std::string::npos) record(w, o, word.substr(eq + 1));
      else if (!is_long && word.size() > 2) record(w, o, word.substr(2));
      else w.pending = o;
    } else if (const CLI::App* verb = w.positionals.empty() ? find_verb(w.app, word) : nullptr) {
      w.app = verb;
    } else {
      w.positionals.push_back(word);
    }
  }
  return w;
}

// The positional that the next word fills: the first whose words are not all given yet.
const CLI::Option* next_positional(const CLI::App* app, std::size_t given) {
  for (const CLI::Option* o : app->get_options()) {
    if (!o->get_positional() || !o->get_lnames().empty() || !o->get_snames().empty()) continue;
    const auto n = static_cast<std::size_t>(o->get_items_expected_max());
    if (given < n) return o;
    given -= n;
  }
  return nullptr;
}

std::optional<action::Completion> dynamic_kind(const std::string& kind, const Walk& w) {
  if (kind == "run") return action::Completion::Run;
  if (kind == "target") return action::Completion::Target;
  if (kind == "context") return action::Completion::Context;
  if (kind == "pipeline") return action::Completion::Pipeline;
  if (kind == "notebook") return action::Completion::Notebook;
  // `kf render pipeline NAME` / `kf render notebook NAME`.
  if (kind == "render-name" && !w.positionals.empty()) {
    if (w.positionals.front() == "pipeline") return action::Completion::Pipeline;
    if (w.positionals.front() == "notebook") return action::Completion::Notebook;
  }
  return std::nullopt;
}

// The values of an option or positional: its Hint's choices, files,
// directories, or what libkf computes.
Answer values(const CLI::Option* o, const Walk& w) {
  Answer a;
  const Hint* h = hint_for(o);
  if (!h) return a;
  for (const auto& c : h->choices) a.candidates.push_back({c, ""});
  if (h->kind == "file") a.directive = k_default;
  if (h->kind == "dir") a.directive = k_dirs;
  if (const auto kind = dynamic_kind(h->kind, w)) {
    action::NullReporter reporter;
    action::CompleteOptions co;
    co.load.start = ".";
    co.target = w.target;
    co.kubeconfig = w.kubeconfig;
    if (!w.dir.empty() && ::chdir(w.dir.c_str()) != 0) return {{}, k_error};
    for (auto& v : action::complete(action::Context{reporter}, *kind, co)) a.candidates.push_back({std::move(v), ""});
  }
  return a;
}

std::string option_help(const CLI::Option* o) {
  std::string help = o->get_description();
  const auto nl = help.find('\n');
  return nl == std::string::npos ? help : help.substr(0, nl);
}

Answer options(const CLI::App* app) {
  Answer a;
  for (const CLI::App* level = app; level; level = level->get_parent())
    for (const CLI::Option* o : level->get_options()) {
      if (!visible(o) || (o->get_lnames().empty() && o->get_snames().empty())) continue;
      if (level != app && (o == level->get_help_ptr() || o == level->get_help_all_ptr())) continue;
      for (const auto& s : o->get_snames()) a.candidates.push_back({"-" + s, option_help(o)});
      for (const auto& l : o->get_lnames()) a.candidates.push_back({"--" + l, option_help(o)});
    }
  return a;
}

Answer answer(const CLI::App& root, const std::vector<std::string>& words, const std::string& word, std::string& prefix) {
  const Walk w = walk(root, words);
  if (w.pending) return values(w.pending, w);
  if (word.rfind("--", 0) == 0 && word.find('=') != std::string::npos) {
    prefix = word.substr(0, word.find('=') + 1); // --target=pro: complete the value, keep "--target="
    const CLI::Option* o = find_option(w.app, word.substr(0, prefix.size() - 1));
    return o && takes_value(o) ? values(o, w) : Answer{};
  }
  if (!word.empty() && word[0] == '-') return options(w.app);
  Answer a;
  if (w.positionals.empty())
    for (const CLI::App* sub : w.app->get_subcommands({}))
      if (!sub->get_group().empty()) a.candidates.push_back({sub->get_name(), sub->get_description()});
  if (const CLI::Option* p = next_positional(w.app, w.positionals.size())) {
    Answer more = values(p, w);
    a.directive = more.directive;
    for (auto& c : more.candidates) a.candidates.push_back(std::move(c));
  }
  return a;
}

} // namespace

int complete(const CLI::App& app, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> words(args.begin(), args.empty() ? args.end() : args.end() - 1);
  const std::string word = args.empty() ? "" : args.back();
  std::string prefix; // "--flag=" when completing the value in the same word
  Answer a;
  try {
    a = answer(app, words, word, prefix);
  } catch (const std::exception&) {
    a = Answer{{}, k_error}; // no kf.yaml, an unreachable cluster: offer nothing, say so
  }
  for (const auto& c : a.candidates) {
    const std::string value = prefix + c.value;
    if (value.rfind(word, 0) != 0) continue;
    out << value;
    if (!c.help.empty()) out << '\t' << c.help;
    out << '\n';
  }
  out << ':' << a.directive << '\n';
  err << "Completion ended with directive: " << directive_name(a.directive) << '\n';
  return 0;
}

} // namespace kf::cli
