#include <doctest/doctest.h>

#include <utility>

#include "libkf/local/run_dir.h"
#include "libkf/util/error.h"
#include "tests/unit/temp_dir.h"

using namespace kf;

// A run's object.json damaged by hand or by another tool made every kf status
// (the listing too) fail with "internal error: [json.exception.type_error...]".
TEST_CASE("read_run_object: a damaged object.json is an error naming the file and the field") {
  const test::TempDir dir;
  const local::RunDir run{dir.path / "demo-1"};
  std::filesystem::create_directories(run.root);
  CHECK_FALSE(local::read_run_object(run));
  const std::string ok = R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"demo-1","annotations":{"a":"b"}},)"
                         R"("status":{"conditions":[{"type":"Complete","status":"True"}],"succeeded":1}})";
  dir.write("demo-1/object.json", ok);
  CHECK(local::read_run_object(run)->value("kind", "") == "Job");
  const std::pair<const char*, const char*> damaged[] = {
      {"[1]", "(the whole file): not a JSON object"},
      {R"({"kind":5})", "apiVersion: not a string"},
      {R"({"apiVersion":"v1","kind":"Job","metadata":[]})", "metadata: not an object"},
      {R"({"apiVersion":"v1","kind":"Job","metadata":{"name":1}})", "metadata.name: not a string"},
      {R"({"apiVersion":"v1","kind":"Job","metadata":{"name":"a","labels":{"x":2}}})", "metadata.labels.x: not a string"},
      {R"({"apiVersion":"v1","kind":"Job","metadata":{"name":"a"},"spec":5})", "spec: not an object"},
      {R"({"apiVersion":"v1","kind":"Job","metadata":{"name":"a"},"status":{"startTime":7}})", "status.startTime: not a string"},
      {R"({"apiVersion":"v1","kind":"Job","metadata":{"name":"a"},"status":{"conditions":{}}})", "status.conditions: not a list"},
      {R"({"apiVersion":"v1","kind":"Job","metadata":{"name":"a"},"status":{"conditions":[{"type":"Complete"},{"reason":5}]}})",
       "status.conditions[1].reason: not a string"},
  };
  for (const auto& [text, problem] : damaged) {
    CAPTURE(text);
    dir.write("demo-1/object.json", text);
    CHECK_THROWS_WITH_AS(local::read_run_object(run),
                         (run.object().string() + ": " + problem + " (the file is damaged: kf delete demo-1 removes the run)").c_str(),
                         Error);
  }
}
