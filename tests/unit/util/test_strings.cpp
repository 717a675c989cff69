#include <doctest/doctest.h>

#include "libkf/util/strings.h"

using namespace kf;

TEST_CASE("edit distance counts a swap as one edit") {
  CHECK(str::edit_distance("workers", "workers") == 0);
  CHECK(str::edit_distance("worker", "workers") == 1);
  CHECK(str::edit_distance("wokrers", "workers") == 1);
  CHECK(str::edit_distance("", "abc") == 3);
}

TEST_CASE("did_you_mean suggests only close candidates") {
  const std::vector<std::string> keys = {"workers", "framework", "resources"};
  CHECK(str::did_you_mean("worker", keys) == " (did you mean 'workers'?)");
  CHECK(str::did_you_mean("framwork", keys) == " (did you mean 'framework'?)");
  CHECK(str::did_you_mean("zzz", keys) == "");
  CHECK(str::did_you_mean("workers", keys) == ""); // an exact match is no typo
}

TEST_CASE("DNS-1123 labels") {
  CHECK(str::is_dns1123_label("mnist-2"));
  CHECK_FALSE(str::is_dns1123_label("Mnist"));
  CHECK_FALSE(str::is_dns1123_label("-mnist"));
  CHECK_FALSE(str::is_dns1123_label("mnist-"));
  CHECK_FALSE(str::is_dns1123_label(""));
  CHECK_FALSE(str::is_dns1123_label(std::string(64, 'a')));
}

TEST_CASE("DNS-1123 subdomains") {
  CHECK(str::is_dns1123_subdomain("baseline.v2-1"));
  CHECK(str::is_dns1123_subdomain(std::string(253, 'a')));
  CHECK_FALSE(str::is_dns1123_subdomain(std::string(254, 'a')));
  for (const char* bad : {"", "Bad_Name", "../x", "a/b", ".a", "a.", "-a", "a b"})
    CHECK_FALSE(str::is_dns1123_subdomain(bad));
}

TEST_CASE("label and annotation keys, label values") {
  for (const char* good : {"team", "sidecar.istio.io/inject", "app.kubernetes.io/name", "A_b.c-9", "x"})
    CHECK(str::is_qualified_name(good));
  CHECK(str::is_qualified_name(std::string(63, 'k')));
  CHECK_FALSE(str::is_qualified_name(std::string(64, 'k')));
  for (const char* bad : {"", "bad key", "-a", "a-", "/a", "a/", "Example.com/a", "a/b/c", "a:b"})
    CHECK_FALSE(str::is_qualified_name(bad));
  CHECK(str::is_label_value(""));
  CHECK(str::is_label_value("ml-team_2.x"));
  CHECK_FALSE(str::is_label_value("a b"));
  CHECK_FALSE(str::is_label_value("a/b"));
  CHECK_FALSE(str::is_label_value(std::string(64, 'v')));
}

TEST_CASE("split, join, trim, quote") {
  CHECK(str::split("a,b,,c", ',') == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(str::join({"a", "b"}, ", ") == "a, b");
  CHECK(str::trim("  x y \n") == "x y");
  CHECK(str::quote("a\"b") == "\"a\\\"b\"");
}
