#include <doctest/doctest.h>

#include "libkf/spec/decode.h"
#include "libkf/spec/load.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {
yaml::Node base() {
  return yaml::parse("apiVersion: kf.dev/v1alpha1\nkind: Project\nmetadata:\n  name: demo\nspec:\n  training:\n    workers: 2\n",
                     "kf.yaml");
}
} // namespace

TEST_CASE("--set paths are relative to spec unless they start at the top") {
  auto root = base();
  spec::apply_set(root, "training.workers=4");
  spec::apply_set(root, "metadata.namespace=ml");
  spec::apply_set(root, "spec.training.hyperparameters.lr=0.1");
  const auto p = spec::decode_project(root);
  CHECK(p.training.workers == 4);
  CHECK(p.namespace_ == "ml");
  REQUIRE(p.training.hyperparameters.size() == 1);
  CHECK(p.training.hyperparameters[0].second == 0.1);
}

TEST_CASE("--set builds lists with {a,b} and indexes them with [N]") {
  auto root = base();
  spec::apply_set(root, "training.model.layers={256,128,64}");
  spec::apply_set(root, "pipelines[0].name=p");
  spec::apply_set(root, "pipelines[0].steps[0].name=s");
  const auto p = spec::decode_project(root);
  CHECK(p.training.model.layers == std::vector<int>{256, 128, 64});
  REQUIRE(p.pipelines.size() == 1);
  CHECK(p.pipelines[0].steps[0].name == "s");
}

TEST_CASE("errors in --set values name the flag") {
  auto root = base();
  spec::apply_set(root, "training.workers=two");
  CHECK_THROWS_WITH_AS(spec::decode_project(root),
                       "--set training.workers=two: spec.training.workers: expected an integer, got \"two\"", SpecError);
  CHECK_THROWS_WITH_AS(spec::apply_set(root, "training.workers"),
                       "--set training.workers: expected PATH=VALUE (for example training.workers=4)", UsageError);
  CHECK_THROWS_WITH_AS(spec::apply_set(root, "a[x]=1"), "--set a[x]=1: invalid list index in \"a[x]\"", UsageError);
  // Found by fuzz_spec: an index past size_t was std::stoul's out_of_range ("internal error"), and one of
  // 100000000 padded the list with that many nulls (minutes, gigabytes). Helm's bound, and its words.
  CHECK_THROWS_WITH_AS(spec::apply_set(root, "Y[688888888888888888888888]A=d"),
                       "--set Y[688888888888888888888888]A=d: list index 688888888888888888888888 in "
                       "\"Y[688888888888888888888888]A\" is greater than the maximum supported index 65536",
                       UsageError);
  CHECK_THROWS_WITH_AS(spec::apply_set(root, "a[65537]=1"),
                       "--set a[65537]=1: list index 65537 in \"a[65537]\" is greater than the maximum supported index 65536",
                       UsageError);
  CHECK_NOTHROW(spec::apply_set(root, "b[00003]=1"));
}

TEST_CASE("a values file merges over kf.yaml and errors point into it") {
  auto root = base();
  yaml::merge(root, yaml::parse("spec:\n  training:\n    workers: -1\n", "prod.yaml"));
  CHECK_THROWS_WITH_AS(spec::decode_project(root),
                       "prod.yaml:3:14: spec.training.workers: must be between 1 and 1024, got -1", SpecError);
}
