// The model kf-docgen writes from (cli/docgen_model.h): one walk over the
// CLI::App tree. The writers live beside it: docgen_bash.cpp, docgen_zsh.cpp,
// docgen_fish.cpp and docgen_man.cpp.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "cli/app.h"
#include "cli/docgen_model.h"

namespace kf::cli::docs::detail {

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> Opt::names() const {
  std::vector<std::string> out = shorts;
  out.insert(out.end(), longs.begin(), longs.end());
  return out;
}

std::vector<const Opt*> Command::completable() const {
  std::vector<const Opt*> out;
  for (const auto& o : options)
    if (name == "kf" || !o.help || o.longs != std::vector<std::string>{"--help-all"}) out.push_back(&o);
  return out;
}

std::vector<const Opt*> Command::documented(bool keep_help) const {
  std::vector<const Opt*> out;
  for (const auto& o : options)
    if (keep_help || !o.help) out.push_back(&o);
  return out;
}

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// "FORMAT:{table,json,yaml}" -> "FORMAT"; CLI11's default "TEXT" -> the long name, upper-cased.
std::string value_name(const CLI::Option& o) {
  std::string name = o.get_type_name();
  name = name.substr(0, name.find(':'));
  if (name.empty() || name == "TEXT") {
    name = o.get_lnames().empty() ? (o.get_snames().empty() ? "VALUE" : o.get_snames().front())
                                   : o.get_lnames().front();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  return name;
}

Opt make_opt(const CLI::App& app, const CLI::Option& o) {
  Opt out;
  for (const auto& s : o.get_snames()) out.shorts.push_back("-" + s);
  for (const auto& l : o.get_lnames()) out.longs.push_back("--" + l);
  if (o.get_positional() && out.shorts.empty() && out.longs.empty()) out.positional = o.get_name(true);
  out.description = o.get_description();
  const bool flag = o.get_items_expected_max() == 0;
  if (!flag) out.value_name = out.positional.empty() ? value_name(o) : o.get_name(true);
  if (const Hint* h = hint_for(&o)) {
    out.choices = h->choices;
    out.kind = h->kind;
  }
  out.envname = o.get_envname();
  out.required = o.get_required();
  out.repeatable = o.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll || o.get_expected_max() > 1;
  out.help = &o == app.get_help_ptr() || &o == app.get_help_all_ptr();
  const int max = o.get_items_expected_max();
  out.words = max >= CLI::detail::expected_max_vector_size / 16 ? -1 : max;
  return out;
}

// The footer: paragraphs split by blank lines; "Examples:" and "Exit status:" ones are set apart.
void read_footer(const std::string& footer, Command& cmd) {
  std::vector<std::vector<std::string>> paragraphs(1);
  for (const auto& line : lines(footer)) {
    if (trim(line).empty()) {
      if (!paragraphs.back().empty()) paragraphs.emplace_back();
    } else {
      paragraphs.back().push_back(line);
    }
  }
  for (auto& p : paragraphs) {
    if (p.empty()) continue;
    const std::string head = trim(p.front());
    if (starts_with(head, "Examples:")) {
      std::vector<std::string> ex(p.begin() + 1, p.end());
      if (trim(head) != "Examples:") ex.insert(ex.begin(), trim(head.substr(9)));
      std::size_t indent = std::string::npos;
      for (const auto& l : ex) indent = std::min(indent, l.find_first_not_of(' '));
      for (auto& l : ex) cmd.examples.push_back(l.substr(indent == std::string::npos ? 0 : indent));
    } else {
      for (auto& l : p) l = trim(l);
      std::string text = join(p, "\n");
      if (starts_with(text, "Exit status:"))
        cmd.exit_status = trim(text.substr(12));
      else
        cmd.notes.push_back(text);
    }
  }
}

Command make_command(const CLI::App& app, const std::string& name) {
  Command cmd;
  cmd.name = name;
  cmd.description = app.get_description();
  read_footer(app.get_footer(), cmd);
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue; // hidden
    Opt opt = make_opt(app, *o);
    (opt.positional.empty() ? cmd.options : cmd.positionals).push_back(std::move(opt));
  }
  return cmd;
}

} // namespace

Cli model(const CLI::App& app) {
  Cli cli;
  cli.root = make_command(app, "kf");
  for (const CLI::App* sub : app.get_subcommands({}))
    if (!sub->get_name().empty() && !sub->get_group().empty()) cli.verbs.push_back(make_command(*sub, sub->get_name()));
  return cli;
}

} // namespace kf::cli::docs::detail
