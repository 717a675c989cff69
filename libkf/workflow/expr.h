#pragma once
// The two expression languages of an Argo Workflow, on kf::Json values:
//
// - expr (github.com/expr-lang/expr), in "{{= ...}}" tags and
//   valueFrom.expression: literals, identifiers looked up in an
//   environment (tasks['flip-coin'].outputs.result, inputs.parameters.x),
//   member and index access, calls (jsonpath, string, int, float, asInt,
//   asFloat, len, toJson, fromJson, lower, upper, trim), unary ! not -,
//   * / % + -, comparisons, in, matches, contains, startsWith, endsWith,
//   && and || or, ?? and the ternary ?:. Only the branch taken is evaluated,
//   so a skipped task's missing outputs in the other branch are no error.
// - govaluate, in `when` after {{ }} substitution: the same operators, plus
//   =~ and !~, where a bare word is a string ("{{workflow.status}} ==
//   Succeeded" reads Failed == Succeeded), as Argo's shouldExecute has it.
//
// Errors are kf::Error: "<expression>: <what>".

#include <string>
#include <string_view>

#include "libkf/util/json.h"

namespace kf::workflow {

// The value of an expr expression in `env` (a JSON object of names).
Json evaluate(std::string_view expression, const Json& env);

// A `when` condition (govaluate): true or false; kf::Error when it is not boolean.
bool evaluate_when(std::string_view when);

// A value as Argo puts it into a string: a string as is, a whole number
// without ".0", true/false, null as "", anything else as compact JSON.
std::string to_text(const Json& value);

} // namespace kf::workflow
