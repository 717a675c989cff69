#include <doctest/doctest.h>

#include "libkf/spec/decode.h"
#include "libkf/spec/target.h"
#include "libkf/util/error.h"

using namespace kf;

TEST_CASE("targets: local always exists - cluster targets move the namespace") {
  auto p = spec::decode_project(yaml::parse(
      "apiVersion: kf.dev/v1alpha1\nkind: Project\nmetadata: {name: demo}\n"
      "spec:\n  targets:\n    - {name: prod, context: admin@prod, namespace: ml}\n",
      "kf.yaml"));
  CHECK(spec::resolve_target(p, "").type == "local");
  CHECK(spec::resolve_target(p, "prod").context == "admin@prod");
  CHECK_THROWS_WITH_AS(spec::resolve_target(p, "prd"),
                       "unknown target \"prd\" (did you mean 'prod'?); targets: local, prod (declare clusters under "
                       "spec.targets in kf.yaml)",
                       UsageError);
  spec::select_target(p, "prod");
  CHECK(p.namespace_ == "ml");
}
