// {{ }} substitution and `depends` logic (template.h).
#include "libkf/workflow/template.h"

#include <algorithm>

#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/workflow/expr.h"

namespace kf::workflow {

Json expression_env(const Scope& scope) {
  Json env = Json::object();
  for (const auto& [name, value] : scope) {
    Json* at = &env;
    const auto parts = str::split(name, '.');
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      Json& next = (*at)[parts[i]];
      if (!next.is_object()) next = Json::object(); // "item" and "item.key": the map wins
      at = &next;
    }
    if (!(*at)[parts.back()].is_object()) (*at)[parts.back()] = value;
  }
  return env;
}

const std::string* Vars::find(const std::string& name) const {
  for (const Scope* s : m_layers) {
    if (!s) continue;
    if (const auto it = s->find(name); it != s->end()) return &it->second;
  }
  return nullptr;
}

Scope Vars::flatten() const {
  Scope out;
  for (const Scope* s : m_layers)
    if (s) out.insert(s->begin(), s->end()); // insert keeps the first
  return out;
}

namespace {

bool argo_name(const std::string& name) {
  for (const char* prefix : {"inputs.", "outputs.", "steps.", "tasks.", "workflow.", "item.", "pod.", "node."})
    if (str::starts_with(name, prefix)) return true;
  return name == "item" || name == "retries";
}

} // namespace

std::string substitute(std::string_view text, const Vars& vars, bool allow_unresolved) {
  std::string out;
  std::optional<Json> env; // made on the first expression
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("{{", i);
    const std::size_t close = open == std::string_view::npos ? open : text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    const std::string tag(text.substr(open, close + 2 - open));
    const std::string inside = str::trim(text.substr(open + 2, close - open - 2));
    i = close + 2;
    if (!inside.empty() && inside[0] == '=') {
      try {
        if (!env) env = expression_env(vars.flatten());
        out += to_text(evaluate(inside.substr(1), *env));
      } catch (const Error& e) {
        if (!allow_unresolved) throw Error("unable to resolve " + tag + ": " + e.what());
        out += tag;
      }
      continue;
    }
    if (const std::string* value = vars.find(inside)) {
      out += *value;
    } else if (allow_unresolved || !argo_name(inside)) {
      out += tag;
    } else {
      throw Error("unable to resolve " + tag);
    }
  }
  return out;
}

Json substitute_all(const Json& document, const Vars& vars, bool allow_unresolved) {
  if (document.is_string()) return substitute(std::string_view(document.get_ref<const std::string&>()), vars, allow_unresolved);
  if (document.is_array()) {
    Json out = Json::array();
    for (const auto& x : document) out.push_back(substitute_all(x, vars, allow_unresolved));
    return out;
  }
  if (document.is_object()) {
    Json out = Json::object();
    for (auto it = document.begin(); it != document.end(); ++it) out[it.key()] = substitute_all(it.value(), vars, allow_unresolved);
    return out;
  }
  return document;
}

namespace {

bool depends_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

std::vector<std::string> depends_tokens(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (s.substr(i, 2) == "&&" || s.substr(i, 2) == "||") {
      out.emplace_back(s.substr(i, 2));
      i += 2;
    } else if (c == '!' || c == '(' || c == ')') {
      out.emplace_back(1, c);
      ++i;
    } else if (depends_char(c)) {
      const std::size_t start = i;
      while (i < s.size() && depends_char(s[i])) ++i;
      out.emplace_back(s.substr(start, i - start));
    } else {
      throw Error("depends " + str::quote(std::string(s)) + ": unexpected '" + std::string(1, c) + "'");
    }
  }
  return out;
}

const std::vector<std::string>& results() {
  static const std::vector<std::string> r = {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"};
  return r;
}

// "A.Failed" -> {"A", "Failed"}; "A" -> {"A", ""}.
std::pair<std::string, std::string> task_and_result(const std::string& word) {
  const auto dot = word.rfind('.');
  if (dot != std::string::npos) {
    const std::string result = word.substr(dot + 1);
    if (std::find(results().begin(), results().end(), result) != results().end()) return {word.substr(0, dot), result};
  }
  return {word, ""};
}

class DependsParser {
public:
  DependsParser(std::string_view text, const std::function<Outcome(const std::string&)>& outcome)
      : m_text(text), m_t(depends_tokens(text)), m_outcome(outcome) {}

  bool parse() {
    const bool v = disjunction();
    if (m_i != m_t.size()) fail("unexpected '" + m_t[m_i] + "'");
    return v;
  }

private:
  [[noreturn]] void fail(const std::string& what) const { throw Error("depends " + str::quote(std::string(m_text)) + ": " + what); }
  bool at(const char* t) const { return m_i < m_t.size() && m_t[m_i] == t; }

  bool disjunction() {
    bool v = conjunction();
    while (at("||")) {
      ++m_i;
      const bool w = conjunction();
      v = v || w;
    }
    return v;
  }
  bool conjunction() {
    bool v = negation();
    while (at("&&")) {
      ++m_i;
      const bool w = negation();
      v = v && w;
    }
    return v;
  }
  bool negation() {
    if (++m_depth > 200) fail("nested too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{m_depth};
    if (at("!")) {
      ++m_i;
      return !negation();
    }
    if (at("(")) {
      ++m_i;
      const bool v = disjunction();
      if (!at(")")) fail("missing ')'");
      ++m_i;
      return v;
    }
    if (m_i >= m_t.size() || !depends_char(m_t[m_i][0])) fail(m_i >= m_t.size() ? "unexpected end" : "unexpected '" + m_t[m_i] + "'");
    const auto [task, result] = task_and_result(m_t[m_i++]);
    const Outcome o = m_outcome(task);
    if (result.empty()) return o.phase == "Succeeded" || o.phase == "Skipped" || o.daemoned;
    if (result == "Succeeded") return o.phase == "Succeeded";
    if (result == "Failed") return o.phase == "Failed";
    if (result == "Errored") return o.phase == "Error";
    if (result == "Skipped") return o.phase == "Skipped";
    if (result == "Omitted") return o.phase == "Omitted";
    if (result == "Daemoned") return o.daemoned;
    if (result == "AnySucceeded") return o.any_succeeded;
    return o.all_failed;
  }

  std::string_view m_text;
  std::vector<std::string> m_t;
  std::size_t m_i = 0;
  int m_depth = 0;
  const std::function<Outcome(const std::string&)>& m_outcome;
};

} // namespace

std::vector<std::string> depends_tasks(std::string_view depends) {
  std::vector<std::string> out;
  for (const auto& t : depends_tokens(depends)) {
    if (!depends_char(t[0])) continue;
    const std::string task = task_and_result(t).first;
    if (std::find(out.begin(), out.end(), task) == out.end()) out.push_back(task);
  }
  return out;
}

bool evaluate_depends(std::string_view depends, const std::function<Outcome(const std::string&)>& outcome) {
  return DependsParser(depends, outcome).parse();
}

std::string depends_of(const std::vector<std::string>& dependencies) { return str::join(dependencies, " && "); }

bool continues_on(const Json& step, const std::string& phase) {
  const Json& c = json_field(step, "continueOn");
  return (phase == "Failed" && json_field(c, "failed") == Json(true)) || (phase == "Error" && json_field(c, "error") == Json(true));
}

} // namespace kf::workflow
