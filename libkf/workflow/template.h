#pragma once
// What Argo does to the text of a template before it runs it: {{ }} tags
// replaced from a scope of names ("inputs.parameters.message",
// "tasks.A.outputs.result", "workflow.name", "item"), {{= expr }} tags
// evaluated (expr.h) in that scope made into nested maps; and a DAG task's
// `depends` logic ("A && (B.Failed || C.Skipped)") over its dependencies'
// outcomes.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/json.h"

namespace kf::workflow {

using Scope = std::map<std::string, std::string>;

// Names in layers, searched in order (a step's item, then its steps group's
// outputs, then the template's inputs, then the workflow's): no copying of
// the outer scopes for each of a DAG's thousand tasks.
class Vars {
public:
  Vars(std::initializer_list<const Scope*> layers) : m_layers(layers) {}
  Vars(const Scope* first, const Vars& rest) : m_layers{first} {
    m_layers.insert(m_layers.end(), rest.m_layers.begin(), rest.m_layers.end());
  }
  const std::string* find(const std::string& name) const;
  Scope flatten() const; // every name, the first layer's value winning

private:
  std::vector<const Scope*> m_layers;
};

// The scope as expr sees it: "a.b.c" -> {"a": {"b": {"c": ...}}}.
Json expression_env(const Scope& scope);

// Replaces every {{name}} and {{= expr}} in `text`. A tag that cannot be
// resolved stays as it is when `allow_unresolved`; otherwise a name Argo
// would know (inputs., outputs., steps., tasks., workflow., item, pod.,
// node., retries) that is missing, or an expression that fails, throws
// kf::Error "unable to resolve {{tag}}".
std::string substitute(std::string_view text, const Vars& vars, bool allow_unresolved);
inline std::string substitute(std::string_view text, const Scope& scope, bool allow_unresolved) {
  return substitute(text, Vars{&scope}, allow_unresolved);
}

// substitute() on every string of a JSON document (keys stay).
Json substitute_all(const Json& document, const Vars& vars, bool allow_unresolved);
inline Json substitute_all(const Json& document, const Scope& scope, bool allow_unresolved) {
  return substitute_all(document, Vars{&scope}, allow_unresolved);
}

// The outcome of a finished dependency, as `depends` reads it.
struct Outcome {
  std::string phase;          // Succeeded, Failed, Error, Skipped, Omitted
  bool daemoned = false;
  bool any_succeeded = false; // a task group (a loop): one of its items succeeded
  bool all_failed = false;    // ... every item failed
};

// The task names a depends expression mentions, in order, without duplicates.
std::vector<std::string> depends_tasks(std::string_view depends);

// Evaluates `depends`: "A" means A.Succeeded || A.Skipped || A.Daemoned;
// A.Succeeded, .Failed, .Errored, .Skipped, .Omitted, .Daemoned,
// .AnySucceeded, .AllFailed; && || ! and parentheses. `outcome` gives each
// named task's outcome. Throws kf::Error for a malformed expression.
bool evaluate_depends(std::string_view depends, const std::function<Outcome(const std::string&)>& outcome);

// `dependencies: [A, B]` as a depends expression ("A && B").
std::string depends_of(const std::vector<std::string>& dependencies);

// Whether a step or task that ended in `phase` lets its steps or DAG go on:
// its continueOn says so for that phase (failed: Failed, error: Error).
bool continues_on(const Json& step, const std::string& phase);

} // namespace kf::workflow
