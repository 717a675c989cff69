// libFuzzer target: any bytes as an Argo expression (expr and govaluate), a
// `depends` expression, a JSONPath and a text with {{ }} tags, over a fixed
// scope. Bad input may only raise kf::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libkf/util/error.h"
#include "libkf/workflow/expr.h"
#include "libkf/workflow/jsonpath.h"
#include "libkf/workflow/template.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kf::workflow::Scope k_scope = {{"inputs.parameters.message", "hello"},
                                              {"tasks.flip-coin.outputs.result", "heads"},
                                              {"workflow.parameters.json", R"([{"name":"a","value":"1"}])"},
                                              {"item", R"({"k":"v"})"},
                                              {"item.k", "v"}};
  static const kf::Json k_env = kf::workflow::expression_env(k_scope);
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto guard = [](auto f) {
    try {
      f();
    } catch (const kf::Error&) {
    }
  };
  guard([&] { (void)kf::workflow::to_text(kf::workflow::evaluate(text, k_env)); });
  guard([&] { (void)kf::workflow::evaluate_when(text); });
  guard([&] { (void)kf::workflow::substitute(text, k_scope, false); });
  guard([&] { (void)kf::workflow::jsonpath(kf::Json::parse(R"({"a":[{"b":1}]})"), text); });
  guard([&] {
    (void)kf::workflow::depends_tasks(text);
    (void)kf::workflow::evaluate_depends(text, [](const std::string& task) {
      kf::workflow::Outcome o;
      o.phase = task.size() % 2 ? "Succeeded" : "Failed";
      return o;
    });
  });
  return 0;
}
