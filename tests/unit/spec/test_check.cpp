#include <doctest/doctest.h>

#include "libkf/spec/check.h"

using namespace kf;

namespace {
spec::PipelineSpec pipeline(std::vector<std::pair<std::string, std::vector<std::string>>> steps) {
  spec::PipelineSpec p;
  for (auto& [name, deps] : steps) {
    spec::StepSpec s;
    s.name = name;
    s.depends_on = deps;
    p.steps.push_back(s);
  }
  return p;
}
} // namespace

TEST_CASE("find_cycle: a DAG has none - a cycle is reported closed") {
  CHECK(spec::find_cycle(pipeline({{"a", {}}, {"b", {"a"}}, {"c", {"a", "b"}}})).empty());
  CHECK(spec::find_cycle(pipeline({{"a", {"c"}}, {"b", {"a"}}, {"c", {"b"}}})) ==
        std::vector<std::string>{"a", "c", "b", "a"});
}

TEST_CASE("inputs imply dependencies on their producers") {
  auto p = pipeline({{"train", {}}, {"eval", {}}});
  p.steps[0].outputs = {"model"};
  p.steps[1].inputs = {"train.model"};
  CHECK(spec::step_dependencies(p, p.steps[1]) == std::vector<std::string>{"train"});
}

TEST_CASE("quantities") {
  for (const char* ok : {"1", "500m", "2Gi", "1.5", "1e3", "0.5Ki", "1E", "1E5", "+.5", "5.", "-1.5e-3", "3Ei"}) CHECK(spec::is_quantity(ok));
  for (const char* bad : {"", "2 GB", "Gi", "1.2.3", "-", "1KiB", ".", "1e", "1.e", "1Mi ", "1ki"}) CHECK_FALSE(spec::is_quantity(bad));
}
