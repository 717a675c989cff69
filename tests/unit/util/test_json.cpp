#include <doctest/doctest.h>

#include <string>
#include <typeinfo>

#include "libkf/util/json.h"

using kf::Json;

namespace {

// kf::json::parse must give what Json::parse gives: the same value with the
// same key order (dump compares both) and the same type in each place.
void same_as_nlohmann(const std::string& text) {
  CAPTURE(text);
  const Json ours = kf::json::parse(text);
  const Json theirs = Json::parse(text);
  CHECK(ours == theirs);
  CHECK(ours.dump() == theirs.dump());
  CHECK(kf::json::parse_or_discarded(text).dump() == theirs.dump());
}

// On malformed input: the same exception type and message as Json::parse.
void same_error(const std::string& text) {
  CAPTURE(text);
  std::string ours, theirs, ours_type, theirs_type;
  try {
    const Json parsed = kf::json::parse(text);
    CHECK(parsed.is_discarded()); // not reached: it throws
  } catch (const Json::exception& e) {
    ours = e.what();
    ours_type = typeid(e).name();
  }
  try {
    const Json parsed = Json::parse(text);
    CHECK(parsed.is_discarded()); // not reached: it throws
  } catch (const Json::exception& e) {
    theirs = e.what();
    theirs_type = typeid(e).name();
  }
  CHECK_FALSE(theirs.empty());
  CHECK(ours == theirs);
  CHECK(ours_type == theirs_type);
  CHECK(kf::json::parse_or_discarded(text).is_discarded());
}

} // namespace

TEST_CASE("json::parse gives Json::parse's value and key order") {
  same_as_nlohmann(R"({"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": "a", "labels": {}}})");
  same_as_nlohmann(R"([1, -2, 18446744073709551615, -9223372036854775808, 1.5, 2e-3, 1E+2, 0.0])");
  same_as_nlohmann(R"({"s": "\u00e9\ud83d\ude00\n\"", "n": null, "t": true, "f": false, "e": [], "o": {}})");
  same_as_nlohmann(R"([[[[{"a": [[{}]]}]]]])");
  same_as_nlohmann(R"(  "a top-level string"  )");
  same_as_nlohmann("42");
  same_as_nlohmann("null");
}

TEST_CASE("json::parse keeps a repeated key's first place and last value") {
  same_as_nlohmann(R"({"b": 1, "a": 2, "b": {"x": 3}, "c": 4, "a": [5]})");
  // Over the size where repeated keys are found through an index.
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
  big += R"("k7": "again", "k39": {"deep": [1]}, "k0": null})";
  same_as_nlohmann(big);
  const Json j = kf::json::parse(big);
  CHECK(j.size() == 40);
  CHECK(j.begin().key() == "k0");
  CHECK(j["k0"].is_null());
  CHECK(j["k7"] == "again");
}

TEST_CASE("json::parse keeps the order of a large object") {
  std::string text = "{";
  for (int i = 999; i >= 0; --i) text += "\"m" + std::to_string(i) + "\": {\"v\": [" + std::to_string(i) + "]}" + (i ? "," : "");
  text += "}";
  same_as_nlohmann(text);
  CHECK(kf::json::parse(text).begin().key() == "m999");
}

TEST_CASE("json::parse throws what Json::parse throws") {
  same_error("");
  same_error("{");
  same_error(R"({"a": 1,})");
  same_error(R"({"a" 1})");
  same_error("[1, 2");
  same_error(R"({"a": 1} trailing)");
  same_error("1e999");           // out_of_range 406, not a parse_error
  same_error(R"(["\ud800"])"); // a lone surrogate
  same_error("[tru]");
}
