#include <doctest/doctest.h>

#include "libkf/render/template.h"
#include "libkf/util/error.h"

using namespace kf;
using render::Template;

namespace {
Json eval(const std::string& text, const Json& values) { return Template(text, "t.yaml").evaluate(values); }
} // namespace

TEST_CASE("a whole-scalar reference keeps the value's type") {
  const Json v = {{"n", 3}, {"s", "x"}, {"m", {{"a", 1}}}, {"l", {1, 2}}, {"b", false}};
  CHECK(eval("n: (( n ))\ns: ((s))\nm: (( m ))\nl: (( l ))\nb: (( b ))\n", v) ==
        Json({{"n", 3}, {"s", "x"}, {"m", {{"a", 1}}}, {"l", {1, 2}}, {"b", false}}));
}

TEST_CASE("text around a reference makes a string") {
  CHECK(eval("name: (( p ))-train-(( n ))\n", {{"p", "demo"}, {"n", 2}}) == Json({{"name", "demo-train-2"}}));
}

TEST_CASE("a value cannot inject structure") {
  const Json v = {{"evil", "x\nkind: Secret\n- a: b"}};
  CHECK(eval("name: (( evil ))\nkind: Job\n", v) == Json({{"name", "x\nkind: Secret\n- a: b"}, {"kind", "Job"}}));
}

TEST_CASE("null drops the key or the list item") {
  CHECK(eval("a: (( x ))\nb: 1\nl: [(( x )), 2]\n", {{"x", nullptr}}) == Json({{"b", 1}, {"l", {2}}}));
}

TEST_CASE("$if chooses a branch - without $else a false condition drops the key") {
  const char* t = "a:\n  $if: on\n  $then: yes-branch\n  $else: no-branch\nb:\n  $if: on\n  $then: 1\n";
  CHECK(eval(t, {{"on", true}}) == Json({{"a", "yes-branch"}, {"b", 1}}));
  CHECK(eval(t, {{"on", 0}}) == Json({{"a", "no-branch"}}));
}

TEST_CASE("$each expands a list item per element") {
  const char* t = "items:\n  - first\n  - $each: steps\n    $as: s\n    $item: {name: (( s.name ))-x}\n";
  const Json v = {{"steps", Json::array({{{"name", "a"}}, {{"name", "b"}}})}};
  CHECK(eval(t, v) == Json::parse(R"({"items":["first",{"name":"a-x"},{"name":"b-x"}]})"));
}

TEST_CASE("Argo, Katib and Kubernetes placeholders pass through") {
  const char* t = "a: '{{tasks.x.outputs.artifacts.y}}'\nb: --lr=${trialParameters.lr}\nc: $(HOME)\n";
  CHECK(eval(t, Json::object()) ==
        Json({{"a", "{{tasks.x.outputs.artifacts.y}}"}, {"b", "--lr=${trialParameters.lr}"}, {"c", "$(HOME)"}}));
}

TEST_CASE("an unknown reference is an error at the template's line, with a suggestion") {
  CHECK_THROWS_WITH_AS(eval("a: 1\nb: (( training.wrkers ))\n", {{"training", {{"workers", 2}}}}),
                       "t.yaml:2:4: unknown value \"training.wrkers\" (did you mean 'training.workers'?)", SpecError);
  CHECK_THROWS_WITH_AS(eval("- $each: l\n  $item: 1\n", {{"l", Json::array()}}), "t.yaml:1:3: $each needs $as: NAME",
                       SpecError);
  CHECK_THROWS_WITH_AS(eval("a: {$if: x, $thne: 1}\n", {{"x", 1}}),
                       "t.yaml:1:13: unknown template directive key \"$thne\" (did you mean '$then'?)", SpecError);
}
