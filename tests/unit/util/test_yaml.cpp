#include <doctest/doctest.h>

#include "libkf/util/error.h"
#include "libkf/util/yaml.h"

using namespace kf;

TEST_CASE("nodes remember file, line and column") {
  const auto root = yaml::parse("a:\n  b: 1\n  c: [x, y]\n", "f.yaml");
  const auto* b = root.find("a")->find("b");
  REQUIRE(b);
  CHECK(b->loc.str() == "f.yaml:2:6");
  CHECK(root.find("a")->find("c")->items[1].loc.str() == "f.yaml:3:10");
}

TEST_CASE("syntax errors carry file:line:col") {
  CHECK_THROWS_WITH_AS(yaml::parse("a: [1, 2\nb: 3\n", "bad.yaml"), doctest::Contains("bad.yaml:"), SpecError);
  CHECK_THROWS_WITH_AS(yaml::parse("a: 1\na: 2\n", "dup.yaml"),
                       "dup.yaml:2:1: duplicate key \"a\" (first at line 1)", SpecError);
}

TEST_CASE("plain scalars follow the YAML 1.2 core schema - quoted ones stay strings") {
  CHECK(yaml::resolve_scalar("12") == 12);
  CHECK(yaml::resolve_scalar("-3") == -3);
  CHECK(yaml::resolve_scalar("0x1f") == 31);
  CHECK(yaml::resolve_scalar("1.5") == 1.5);
  CHECK(yaml::resolve_scalar("true") == true);
  CHECK(yaml::resolve_scalar("~").is_null());
  CHECK(yaml::resolve_scalar("yes") == "yes");
  CHECK(yaml::resolve_scalar("2Gi") == "2Gi");
  const auto root = yaml::parse("a: \"12\"\nb: 12\n", "t.yaml");
  CHECK(yaml::to_json(root) == Json({{"a", "12"}, {"b", 12}}));
}

TEST_CASE("merge: maps merge, other values replace, null deletes") {
  auto base = yaml::parse("a: {x: 1, y: 2}\nl: [1, 2]\nz: 3\n", "base.yaml");
  const auto over = yaml::parse("a: {y: 5}\nl: [9]\nz: null\n", "over.yaml");
  yaml::merge(base, over);
  CHECK(yaml::to_json(base) == Json::parse(R"({"a":{"x":1,"y":5},"l":[9]})"));
  CHECK(base.find("a")->find("y")->loc.str() == "over.yaml:1:8");
}

TEST_CASE("emit quotes strings a YAML reader would take for something else") {
  const Json doc = {{"cpu", "1"}, {"on", "yes"}, {"n", 2}, {"s", "plain"}, {"e", ""}, {"t", "true"}, {"v", "1.10"}};
  CHECK(yaml::emit(doc) == "cpu: \"1\"\n\"on\": \"yes\"\n\"n\": 2\ns: plain\ne: \"\"\nt: \"true\"\nv: \"1.10\"\n");
}

TEST_CASE("emit keeps a string with YAML syntax inside one scalar") {
  const Json doc = {{"x", "a: b\n- c"}};
  const auto back = yaml::to_json(yaml::parse(yaml::emit(doc), "round-trip"));
  CHECK(back == doc);
}

TEST_CASE("input must be UTF-8") {
  CHECK_THROWS_WITH_AS(yaml::parse("a: 1\nb: \xff\n", "bin.yaml"), "bin.yaml:2:4: invalid UTF-8 (kf reads YAML as UTF-8)",
                       SpecError);
  CHECK(yaml::to_json(yaml::parse("a: \xc3\xa9t\xc3\xa9\n", "u.yaml")) == Json({{"a", "\xc3\xa9t\xc3\xa9"}}));
  // Well-formed lead and continuation bytes are not enough (RFC 3629):
  // past U+10FFFF (the fuzzer's find), a surrogate, overlong 3- and 4-byte forms.
  for (const std::string bad : {"kub)\xf6\x9a\x99\x96", "kub)\xf4\x90\x80\x80", "kub)\xed\xa0\x80",
                                "kub)\xe0\x80\xaf", "kub)\xf0\x80\x80\xaf"})
    CHECK_THROWS_WITH_AS(yaml::parse("a: " + bad + "\n", "u.yaml"), "u.yaml:1:8: invalid UTF-8 (kf reads YAML as UTF-8)",
                         SpecError);
  // Edges that are allowed: U+10FFFF, U+FFFD, U+0800.
  for (const std::string good : {"\xf4\x8f\xbf\xbf", "\xef\xbf\xbd", "\xe0\xa0\x80"})
    CHECK(yaml::to_json(yaml::parse("a: " + good + "\n", "u.yaml")) == Json({{"a", good}}));
}

TEST_CASE("alias bombs are refused, not expanded forever") {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i)
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + std::string("*a") + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  CHECK_THROWS_WITH_AS(yaml::parse(bomb, "bomb.yaml"),
                       "bomb.yaml: the document is too large (over 1000000 values once aliases are expanded)", SpecError);
}

TEST_CASE("a stray comma is an error, not a hang (yaml-cpp 0.7's LoadAll loops on it)") {
  CHECK_THROWS_AS(yaml::parse(",", "c.yaml"), SpecError);
  CHECK_THROWS_AS(yaml::parse("- a\n, max\n", "c.yaml"), SpecError);
}

TEST_CASE("anchors and aliases expand into copies") {
  const auto root = yaml::parse("base: &b {cpu: 1}\nother: *b\n", "a.yaml");
  CHECK(yaml::to_json(root) == Json::parse(R"({"base":{"cpu":1},"other":{"cpu":1}})"));
}

TEST_CASE("control characters are refused") {
  CHECK_THROWS_WITH_AS(yaml::parse(std::string("a: 1\n\x01\x00\x00\x00x: 2\n", 13), "c.yaml"),
                       "c.yaml:2:1: control character U+0001 is not allowed in YAML", SpecError);
}

TEST_CASE("emit escapes carriage returns and other control characters") {
  const Json doc = {{"a", "x\r\ry"}, {"b", "tab\there"}, {"c", "\r"}};
  CHECK(yaml::to_json(yaml::parse(yaml::emit(doc), "round-trip")) == doc);
}

TEST_CASE("emit escapes what a YAML reader folds as a line break or drops as a BOM") {
  // The fuzzer's find: "\N" (U+0085) in a double-quoted key came back as a space.
  const Json doc = {{"a\xc2\x85" "b", "c\xe2\x80\xa8" "d\xe2\x80\xa9" "e\xef\xbb\xbf" "f\xc2\x9f" "g\xc2\xa0" "h"}};
  const std::string text = yaml::emit(doc);
  CHECK(text == "\"a\\u0085b\": \"c\\u2028d\\u2029e\\uFEFFf\\u009Fg\xc2\xa0h\"\n");
  CHECK(yaml::to_json(yaml::parse(text, "round-trip")) == doc);
  // yaml-cpp 0.7 decodes \N and \_ to lone bytes; kf puts them right.
  CHECK(yaml::to_json(yaml::parse("k: \"x\\Ny\\_\"\n", "esc.yaml")) == Json({{"k", "x\xc2\x85y\xc2\xa0"}}));
  CHECK_THROWS_WITH_AS(yaml::parse("a: 1\nk: \"x\\uD800\"\n", "esc.yaml"),
                       "esc.yaml:2:12: invalid YAML: invalid unicode: 55296", SpecError);
}

TEST_CASE("emit quotes timestamps, which YAML 1.1 readers take for dates") {
  CHECK(yaml::emit(Json{{"t", "2026-11-29T11:22:24Z"}, {"d", "2026-11-29"}, {"v", "2026-x"}}) ==
        "t: \"2026-11-29T11:22:24Z\"\nd: \"2026-11-29\"\nv: 2026-x\n");
}

TEST_CASE("emit lays objects out as kubectl does") {
  const Json doc = Json::parse(R"({"spec":{"containers":[{"name":"a","args":["--x=1","- y"]},{"name":"b"}],
    "empty":{},"none":[],"nested":[[1,2],[]],"n":null,"f":0.25,"t":true,"k":"a: b","h":"x #y","d":"---"}})");
  CHECK(yaml::emit(doc) ==
        "spec:\n"
        "  containers:\n"
        "  - name: a\n"
        "    args:\n"
        "    - --x=1\n"
        "    - \"- y\"\n"
        "  - name: b\n"
        "  empty: {}\n"
        "  none: []\n"
        "  nested:\n"
        "  - - 1\n"
        "    - 2\n"
        "  - []\n"
        "  \"n\": null\n"
        "  f: 0.25\n"
        "  t: true\n"
        "  k: \"a: b\"\n"
        "  h: \"x #y\"\n"
        "  d: \"---\"\n");
  CHECK(yaml::to_json(yaml::parse(yaml::emit(doc), "round-trip")) == doc);
}
