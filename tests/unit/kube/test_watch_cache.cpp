#include <doctest/doctest.h>

#include "libkf/kube/watch_cache.h"

using namespace kf;

namespace {

Json cm(const std::string& name, const std::string& rv) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"namespace", "default"}, {"resourceVersion", rv}}}};
}

std::vector<std::string> summary(const std::vector<kube::WatchEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(e.type + " " + e.object["metadata"].value("name", "") + " " + kube::resource_version_of(e.object));
  return out;
}

} // namespace

TEST_CASE("line splitter: lines split across chunks anywhere") {
  kube::LineSplitter lines;
  std::vector<std::string> got;
  auto keep = [&](std::string_view l) {
    got.emplace_back(l);
    return true;
  };
  CHECK(lines.feed(R"({"type":"ADD)", keep));
  CHECK(got.empty());
  CHECK_FALSE(lines.empty());
  CHECK(lines.feed("ED\"}\n{\"a\":1}\r\n\n{\"b\"", keep));
  CHECK(got == std::vector<std::string>{R"({"type":"ADDED"})", R"({"a":1})"});
  CHECK(lines.feed(":2}\n", keep));
  CHECK(got.back() == R"({"b":2})");
  CHECK(lines.empty());
  // on_line returning false stops at once; reset() drops a partial line.
  got.clear();
  CHECK_FALSE(lines.feed("x\ny\n", [&](std::string_view l) {
    got.emplace_back(l);
    return false;
  }));
  CHECK(got == std::vector<std::string>{"x"});
  lines.reset();
  lines.feed("partial", keep);
  lines.reset();
  CHECK(lines.empty());
}

TEST_CASE("watch cache: record, replays, and the resourceVersion only moves forward") {
  kube::WatchCache cache;
  cache.set_resource_version("5");
  cache.record({"ADDED", cm("a", "6")});
  cache.record({"ADDED", cm("b", "7")});
  CHECK(cache.resource_version() == "7");
  CHECK(cache.seen({"MODIFIED", cm("a", "6")}));  // the same state again
  CHECK(cache.seen({"MODIFIED", cm("b", "3")}));  // an older one
  CHECK_FALSE(cache.seen({"MODIFIED", cm("a", "10")}));
  CHECK_FALSE(cache.seen({"ADDED", cm("c", "6")}));
  CHECK_FALSE(cache.seen({"DELETED", cm("a", "6")}));
  cache.record({"BOOKMARK", {{"metadata", {{"resourceVersion", "12"}}}}});
  CHECK(cache.resource_version() == "12");
  CHECK(cache.size() == 2);
  cache.record({"DELETED", cm("a", "6")}); // a relist's DELETED carries the old resourceVersion
  CHECK(cache.resource_version() == "12");
  CHECK(cache.size() == 1);
}

TEST_CASE("watch cache: after a relist, the differences - deletions first, then by resourceVersion") {
  kube::WatchCache cache;
  for (const auto& obj : {cm("same", "3"), cm("changed", "4"), cm("gone", "5"), cm("gone-too", "9")})
    cache.record({"ADDED", obj});
  const auto events = cache.diff({cm("new", "100"), cm("changed", "20"), cm("same", "3"), cm("another", "11")});
  CHECK(summary(events) == std::vector<std::string>{"DELETED gone 5", "DELETED gone-too 9", "ADDED another 11",
                                                    "MODIFIED changed 20", "ADDED new 100"});
  CHECK(cache.diff({}).size() == 4);
  CHECK(kube::WatchCache().diff({cm("a", "1")}).size() == 1);
}
