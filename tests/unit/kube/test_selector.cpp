#include <doctest/doctest.h>

#include "libkf/kube/client.h"
#include "libkf/kube/selector.h"

using namespace kf;

namespace {

Json object(const Json& labels) {
  return {{"metadata", {{"name", "a"}, {"namespace", "ml"}, {"labels", labels}}}, {"status", {{"phase", "Running"}}}};
}

bool match(const char* labels, const char* fields, const Json& obj) { return kube::Selector::parse(labels, fields).matches(obj); }

} // namespace

TEST_CASE("selector: labels") {
  const Json obj = object({{"app", "kf"}, {"tier", "web"}});
  CHECK(match("", "", obj));
  CHECK(match("app=kf", "", obj));
  CHECK(match("app==kf,tier!=db", "", obj));
  CHECK_FALSE(match("app=other", "", obj));
  CHECK(match("tier in (web, db)", "", obj));
  CHECK_FALSE(match("tier notin (web,db)", "", obj));
  CHECK(match("missing notin (x)", "", obj));
  CHECK(match("app", "", obj));
  CHECK(match("!missing", "", obj));
  CHECK_FALSE(match("!app", "", obj));
  CHECK(match("missing!=x", "", obj));
  CHECK_FALSE(match("app.kubernetes.io/name=kf", "", obj));
}

TEST_CASE("selector: fields") {
  const Json obj = object(Json::object());
  CHECK(match("", "metadata.name=a", obj));
  CHECK(match("", "metadata.name==a,metadata.namespace=ml", obj));
  CHECK_FALSE(match("", "metadata.name!=a", obj));
  CHECK(match("", "status.phase=Running", obj));
  CHECK(match("", "spec.nodeName=", obj)); // a missing field reads as ""
}

TEST_CASE("selector: errors are 400 BadRequest with the term") {
  CHECK_THROWS_WITH_AS(kube::Selector::parse("tier in web", ""), "unable to parse requirement: tier in web", kube::ApiError);
  CHECK_THROWS_WITH_AS(kube::Selector::parse("a=b,", ""), "unable to parse requirement: ", kube::ApiError);
  CHECK_THROWS_WITH_AS(kube::Selector::parse("a b", ""), "unable to parse requirement: a b", kube::ApiError);
  CHECK_THROWS_WITH_AS(kube::Selector::parse("", "metadata.name"), "invalid field selector: metadata.name", kube::ApiError);
  try {
    kube::Selector::parse("", "=x");
    FAIL("no error");
  } catch (const kube::ApiError& e) {
    CHECK(e.code() == 400);
    CHECK(e.reason() == "BadRequest");
    CHECK(std::string(e.what()) == "invalid field selector: =x");
  }
}

TEST_CASE("selector: field paths and a server's own field reader") {
  const auto s = kube::Selector::parse("app=kf", "source=kubelet,metadata.name!=b");
  CHECK(s.field_paths() == std::vector<std::string>{"source", "metadata.name"});
  const Json event = {{"metadata", {{"name", "a"}, {"labels", {{"app", "kf"}}}}}, {"source", {{"component", "kubelet"}}}};
  CHECK_FALSE(s.matches(event)); // the default reader compares the object at "source"
  const auto alias = [](const Json& obj, const std::string& path) {
    return kube::Selector::field_at(obj, path == "source" ? "source.component" : path);
  };
  CHECK(s.matches(event, alias));
  CHECK(kube::Selector::field_at(event, "source") == R"({"component":"kubelet"})");
  CHECK(kube::Selector::field_at(event, "source.missing.deeper").empty());
}
