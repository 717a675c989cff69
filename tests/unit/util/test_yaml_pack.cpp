#include <doctest/doctest.h>

#include <string>

#include "libkf/util/embedded.h"
#include "libkf/util/error.h"
#include "libkf/util/yaml.h"
#include "libkf/util/yaml_pack.h"

using namespace kf;

namespace {

// Two trees are the same: kinds, scalars as written, quoting, and every node's file:line:col.
void check_same(const yaml::Node& a, const yaml::Node& b) {
  INFO(a.loc.str(), " against ", b.loc.str());
  REQUIRE(a.kind == b.kind);
  CHECK(a.loc.str() == b.loc.str());
  CHECK(a.scalar == b.scalar);
  CHECK(a.quoted == b.quoted);
  REQUIRE(a.items.size() == b.items.size());
  for (std::size_t i = 0; i < a.items.size(); ++i) check_same(a.items[i], b.items[i]);
  REQUIRE(a.entries.size() == b.entries.size());
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    check_same(a.entries[i].key, b.entries[i].key);
    check_same(a.entries[i].value, b.entries[i].value);
  }
}

} // namespace

TEST_CASE("yaml pack: a tree comes back whole, with its locations and quoting") {
  const std::string text = "a: 1\n"
                           "b: '1'\n"
                           "c: [x, \"y\", ~, {d: e}]\n"
                           "long: " + std::string(300, 'z') + "\n"
                           "empty:\n"
                           "nested:\n  - - deep\n";
  const yaml::Node tree = yaml::parse(text, "t.yaml");
  const std::string packed = yaml::pack(tree);
  check_same(yaml::unpack(packed, "t.yaml"), tree);
  CHECK(yaml::unpack(packed, "t.yaml").find("c")->items[1].loc.str() == "t.yaml:3:8");
  CHECK(yaml::unpack(yaml::pack(yaml::Node{}), "n.yaml").is_null());
}

TEST_CASE("yaml pack: every built-in template and manifest packed at build time is the tree its text parses to") {
  int yaml_files = 0;
  for (const auto& f : embedded::files()) {
    const std::string path(f.path);
    if (path.size() < 5 || path.substr(path.size() - 5) != ".yaml") continue;
    ++yaml_files;
    const auto tree = embedded::parsed(path);
    REQUIRE_MESSAGE(tree, path);
    check_same(*tree, yaml::parse(f.content, path));
  }
  CHECK(yaml_files > 8);
  CHECK(yaml_files == static_cast<int>(embedded::packed_files().size()));
  CHECK_FALSE(embedded::parsed("templates/nope.yaml"));
}

TEST_CASE("yaml pack: a damaged pack is an error naming the byte") {
  const std::string packed = yaml::pack(yaml::parse("a: [b, c]\n", "t.yaml"));
  CHECK_THROWS_WITH_AS(yaml::unpack(packed.substr(0, packed.size() - 1), "t.yaml"),
                       "packed YAML of t.yaml is damaged at byte 22: a length runs past its end", Error);
  CHECK_THROWS_WITH_AS(yaml::unpack("\x02", "t.yaml"), "packed YAML of t.yaml is damaged at byte 1: it ends early", Error);
  CHECK_THROWS_WITH_AS(yaml::unpack(packed + "x", "t.yaml"), "packed YAML of t.yaml has bytes after its end", Error);
  CHECK_THROWS_WITH_AS(yaml::unpack("\x07\x01\x01", "t.yaml"), "packed YAML of t.yaml is damaged at byte 1: bad node tag", Error);
  CHECK_THROWS_WITH_AS(yaml::unpack(std::string("\x01\x01\x01\x7f", 4), "t.yaml"),
                       "packed YAML of t.yaml is damaged at byte 4: a length runs past its end", Error);
  CHECK_THROWS_WITH_AS(yaml::unpack(std::string("\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11), "t.yaml"),
                       "packed YAML of t.yaml is damaged at byte 11: a number is too long", Error);
  CHECK_THROWS_WITH_AS(yaml::unpack(std::string("\x00\xff\xff\xff\xff\x0f\x01", 7), "t.yaml"),
                       "packed YAML of t.yaml is damaged at byte 6: a line or column is out of range", Error);
}
