#include <doctest/doctest.h>

#include "libkf/tune/suggest.h"

using namespace kf;
using namespace kf::tune;

namespace {

// The message of the FieldError parse_space throws ("path: message").
std::string refusal(const char* json) {
  try {
    parse_space(Json::parse(json));
  } catch (const FieldError& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

TEST_CASE("tune parse_space reads Katib's ParameterSpec") {
  const auto s = parse_space(Json::parse(R"([
    {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.001", "max": "0.1", "distribution": "logUniform"}},
    {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": 1, "max": "5", "step": "2"}},
    {"name": "batch", "parameterType": "discrete", "feasibleSpace": {"list": ["16", 32, "64"]}},
    {"name": "opt", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}}])"));
  REQUIRE(s.parameters.size() == 4);
  CHECK(s.parameters[0].type == ParameterType::Double);
  CHECK(s.parameters[0].distribution == Distribution::LogUniform);
  CHECK(s.parameters[0].min == doctest::Approx(0.001));
  CHECK(s.parameters[1].type == ParameterType::Int);
  CHECK(s.parameters[1].step == 2);
  CHECK(s.parameters[2].list == std::vector<std::string>{"16", "32", "64"});
  CHECK(s.parameters[3].list == std::vector<std::string>{"sgd", "adam"});
}

TEST_CASE("tune parse_space refusals name the field") {
  CHECK(refusal("{}") == "spec.parameters: must be a non-empty list of parameters");
  CHECK(refusal(R"([{"parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}])") ==
        "spec.parameters[0].name: must be specified");
  CHECK(refusal(R"([{"name": "a", "parameterType": "doubel", "feasibleSpace": {"min": "0", "max": "1"}}])") ==
        "spec.parameters[0].parameterType: unsupported type \"doubel\": one of categorical, discrete, double, int "
        "(did you mean 'double'?)");
  CHECK(refusal(R"([{"name": "a", "parameterType": "double"}])") == "spec.parameters[0].feasibleSpace: must be specified");
  CHECK(refusal(R"([{"name": "a", "parameterType": "double", "feasibleSpace": {"min": "0"}}])") ==
        "spec.parameters[0].feasibleSpace.max: must be specified for parameterType double");
  CHECK(refusal(R"([{"name": "a", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}},
                    {"name": "b", "parameterType": "double", "feasibleSpace": {"min": "2", "max": "1"}}])") ==
        "spec.parameters[1].feasibleSpace.max: must not be less than min (2), is 1");
  // min == max: a fixed value, as Katib's hyperband example has its resource
  const auto fixed = parse_space(Json::parse(R"([{"name": "e", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "1"}}])"));
  CHECK(fixed.parameters[0].min == fixed.parameters[0].max);
  CHECK(refusal(R"([{"name": "a", "parameterType": "double", "feasibleSpace": {"min": "x", "max": "1"}}])") ==
        "spec.parameters[0].feasibleSpace.min: \"x\" is not a number");
  CHECK(refusal(R"([{"name": "a", "parameterType": "int", "feasibleSpace": {"min": "0", "max": "1.5"}}])") ==
        "spec.parameters[0].feasibleSpace.max: \"1.5\" is not an integer (parameterType int)");
  CHECK(refusal(R"([{"name": "a", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1", "step": "0"}}])") ==
        "spec.parameters[0].feasibleSpace.step: must be greater than 0, is 0");
  CHECK(refusal(R"([{"name": "a", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1", "distribution": "logUniform"}}])") ==
        "spec.parameters[0].feasibleSpace.min: logUniform needs a positive range: min must be greater than 0, is 0");
  CHECK(refusal(R"([{"name": "a", "parameterType": "double", "feasibleSpace": {"min": "1", "max": "2", "distribution": "gauss"}}])") ==
        "spec.parameters[0].feasibleSpace.distribution: unsupported distribution \"gauss\": one of logNormal, logUniform, "
        "normal, uniform");
  CHECK(refusal(R"([{"name": "a", "parameterType": "double", "feasibleSpace": {"min": "1", "max": "2", "list": ["1"]}}])") ==
        "spec.parameters[0].feasibleSpace.list: a list is not supported for parameterType double (use min and max)");
  CHECK(refusal(R"([{"name": "a", "parameterType": "categorical", "feasibleSpace": {"list": []}}])") ==
        "spec.parameters[0].feasibleSpace.list: must be a non-empty list for parameterType categorical");
  CHECK(refusal(R"([{"name": "a", "parameterType": "categorical", "feasibleSpace": {"min": "1", "list": ["x"]}}])") ==
        "spec.parameters[0].feasibleSpace.min: is not supported for parameterType categorical (use list)");
  CHECK(refusal(R"([{"name": "a", "parameterType": "discrete", "feasibleSpace": {"list": ["1", "two"]}}])") ==
        "spec.parameters[0].feasibleSpace.list[1]: \"two\" is not a number (parameterType discrete takes numbers; use "
        "categorical)");
  CHECK(refusal(R"([{"name": "a", "parameterType": "categorical", "feasibleSpace": {"list": ["x"]}},
                    {"name": "a", "parameterType": "categorical", "feasibleSpace": {"list": ["y"]}}])") ==
        "spec.parameters[1].name: duplicate parameter name \"a\" (also spec.parameters[0])");
}
