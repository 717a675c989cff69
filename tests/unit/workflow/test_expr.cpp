// Argo's expression languages and {{ }} substitution (libkf/workflow).
#include <doctest/doctest.h>

#include "libkf/util/error.h"
#include "libkf/workflow/expr.h"
#include "libkf/workflow/jsonpath.h"
#include "libkf/workflow/template.h"

using namespace kf;
using namespace kf::workflow;

TEST_CASE("expr: dag-conditional-parameters' ternary reads only the branch it takes") {
  Scope scope = {{"tasks.flip-coin.outputs.result", "tails"}, {"tasks.tails.outputs.result", "tails"}};
  const Json env = expression_env(scope);
  // tasks.heads does not exist (skipped): the other branch is not evaluated
  CHECK(evaluate("tasks['flip-coin'].outputs.result == 'heads' ? tasks.heads.outputs.result : tasks.tails.outputs.result", env) == "tails");
  CHECK_THROWS_WITH_AS(evaluate("tasks.heads.outputs.result", env), doctest::Contains("cannot fetch outputs from nil"), Error);
}

TEST_CASE("expr: operators, precedence, functions") {
  const Json env = {{"n", "7"}, {"xs", {1, 2, 3}}, {"m", {{"k", "v"}}}};
  CHECK(evaluate("1 + 2 * 3", env) == 7);
  CHECK(evaluate("(1 + 2) * 3 == 9 && !false", env) == true);
  CHECK(evaluate("asInt(n) > 5 and len(xs) == 3", env) == true);
  CHECK(evaluate("'k' in m && 2 in xs", env) == true);
  CHECK(evaluate("'hello' + ' ' + 'world'", env) == "hello world");
  CHECK(evaluate("'abc' matches '^a.c$'", env) == true);
  CHECK(evaluate("xs[-1]", env) == 3);
  CHECK(evaluate("m.missing ?? 'default'", env) == "default");
  CHECK(evaluate("jsonpath('[{\"name\":\"a\",\"value\":\"true\"}]', '$[0].value') == 'true'", env) == true);
  CHECK(evaluate("7 / 2", env) == 3.5);
  CHECK(to_text(evaluate("float('2') * 2", env)) == "4");
  CHECK_THROWS_WITH_AS(evaluate("nope == 1", env), "\"nope == 1\": unknown name nope", Error);
  CHECK_THROWS_WITH_AS(evaluate("1 +", env), "\"1 +\": unexpected end", Error);
  CHECK_THROWS_WITH_AS(evaluate("'a' && true", env), "\"'a' && true\": && needs a bool, not string a", Error);
  CHECK_THROWS_WITH_AS(evaluate("frob(1)", env), "\"frob(1)\": unknown function frob()", Error);
  // found by tests/fuzz/fuzz_workflow_expr: a call on what is not a name
  CHECK_THROWS_WITH_AS(evaluate("0.t(a[0.b", env), "\"0.t(a[0.b\": unexpected '('", Error);
  CHECK_THROWS_WITH_AS(evaluate(std::string(300, '('), env), doctest::Contains("nested too deeply"), Error);
}

TEST_CASE("when: govaluate with bare words as strings, as Argo's shouldExecute") {
  CHECK(evaluate_when("Failed != Succeeded"));
  CHECK_FALSE(evaluate_when("tails == heads"));
  CHECK(evaluate_when("true == true"));
  CHECK(evaluate_when("5 > 3 && \"a b\" == \"a b\""));
  CHECK(evaluate_when("hello =~ 'h.*o'"));
  CHECK(evaluate_when("abc123 =~ '^[a-z]+\\d+?$'")); // RE2's \d; non-greedy matches what greedy does
  CHECK_THROWS_WITH_AS(evaluate_when("a =~ 'd**'"), "\"a =~ 'd**'\": invalid nested repetition operator in \"d**\"", Error);
  CHECK_THROWS_WITH_AS(evaluate_when("heads"), "expected a boolean from \"heads\", got heads", Error);
}

TEST_CASE("jsonpath: keys, indexes, wildcards") {
  const Json doc = Json::parse(R"({"a": [{"b": 1}, {"b": 2}], "c d": "x"})");
  CHECK(jsonpath(doc, "$.a[1].b") == 2);
  CHECK(jsonpath(doc, "$['c d']") == "x");
  CHECK(jsonpath(doc, "$.a[*].b") == Json({1, 2}));
  CHECK_THROWS_WITH_AS(jsonpath(doc, "$.z"), "jsonpath \"$.z\": no match", Error);
}

TEST_CASE("substitute: names, expressions, what stays unresolved") {
  const Scope scope = {{"inputs.parameters.message", "hi"}, {"inputs.parameters.should-print", "true"}, {"item.k", "v"}};
  CHECK(substitute("say {{inputs.parameters.message}} {{ item.k }}", scope, false) == "say hi v");
  CHECK(substitute("{{= inputs.parameters[\"should-print\"] == 'true'}}", scope, false) == "true");
  CHECK(substitute("{{unknown.thing}} stays", scope, false) == "{{unknown.thing}} stays");
  CHECK(substitute("{{inputs.parameters.other}}", scope, true) == "{{inputs.parameters.other}}");
  CHECK_THROWS_WITH_AS(substitute("{{inputs.parameters.other}}", scope, false), "unable to resolve {{inputs.parameters.other}}", Error);
  CHECK(substitute_all(Json({{"args", {"{{inputs.parameters.message}}"}}}), scope, false) == Json({{"args", {"hi"}}}));
}

TEST_CASE("depends: Argo's task results, bare names, operators") {
  const auto outcome = [](const std::string& t) {
    Outcome o;
    o.phase = t == "A" ? "Succeeded" : t == "B" ? "Failed" : t == "C" ? "Skipped" : "Omitted";
    return o;
  };
  CHECK(evaluate_depends("A && C", outcome));                 // a skipped task counts as done
  CHECK_FALSE(evaluate_depends("A && B", outcome));
  CHECK(evaluate_depends("A && (B.Failed || B.Errored)", outcome));
  CHECK(evaluate_depends("!B.Succeeded && my-task.Omitted", outcome));
  CHECK(depends_tasks("A && (B.Failed || my-task) || A.Succeeded") == std::vector<std::string>{"A", "B", "my-task"});
  CHECK(depends_of({"A", "B"}) == "A && B");
  CHECK_THROWS_WITH_AS(evaluate_depends("A && (B", outcome), "depends \"A && (B\": missing ')'", Error);
  CHECK_THROWS_WITH_AS(evaluate_depends("A & B", outcome), "depends \"A & B\": unexpected '&'", Error);
}

TEST_CASE("continueOn: failed lets a Failed step go on, error an Error one") {
  const Json both = Json::parse(R"({"name": "a", "continueOn": {"failed": true, "error": true}})");
  const Json failed = Json::parse(R"({"name": "a", "continueOn": {"failed": true}})");
  CHECK(continues_on(both, "Failed"));
  CHECK(continues_on(both, "Error"));
  CHECK(continues_on(failed, "Failed"));
  CHECK_FALSE(continues_on(failed, "Error"));
  CHECK_FALSE(continues_on(Json::parse(R"({"name": "a"})"), "Failed"));
}
