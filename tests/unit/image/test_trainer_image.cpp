// render::trainer_image (libkf/render/trainer_image.cpp): the one place that
// decides the trainer image every verb renders. Kept with the image tests:
// kf build writes what it reads.
#include <doctest/doctest.h>

#include "libkf/action/build.h"
#include "libkf/render/render.h"
#include "libkf/render/trainer_image.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
namespace stdfs = std::filesystem;

namespace {
spec::Project project() {
  spec::Project p;
  p.name = "mnist";
  p.namespace_ = "default";
  p.image.registry = "127.0.0.1:5000/ml";
  p.image.name = "mnist-trainer";
  p.image.tag = "v1";
  p.training.framework = "pytorch";
  p.training.workers = 2;
  return p;
}
const std::string k_digest = "sha256:" + std::string(64, 'c');
} // namespace

TEST_CASE("trainer_image: kf.yaml's image until kf build records one for the same repository") {
  test::TempDir t;
  const auto p = project();
  CHECK(render::trainer_image(p, t.path) == "127.0.0.1:5000/ml/mnist-trainer:v1");
  CHECK(render::trainer_image(p, "") == "127.0.0.1:5000/ml/mnist-trainer:v1");
  render::write_built_image(t.path, {"127.0.0.1:5000/ml/mnist-trainer", "v1", k_digest, "cpu", "abc", true});
  CHECK(render::trainer_image(p, t.path) == "127.0.0.1:5000/ml/mnist-trainer@" + k_digest);
  const Json rec = Json::parse(fs::read_file(t.path / ".kf/image.json"));
  CHECK(rec["reference"] == "127.0.0.1:5000/ml/mnist-trainer@" + k_digest);
  CHECK(rec["variant"] == "cpu");
  // The rendered job uses it.
  const render::Renderer r(p, t.path);
  CHECK(r.training()["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["image"] ==
        "127.0.0.1:5000/ml/mnist-trainer@" + k_digest);
  // Another repository in kf.yaml: the record no longer applies.
  auto moved = p;
  moved.image.registry = "ghcr.io/acme";
  CHECK(render::trainer_image(moved, t.path) == "ghcr.io/acme/mnist-trainer:v1");
  // A damaged record is ignored.
  t.write(".kf/image.json", "{\"repository\": 3}");
  CHECK(render::trainer_image(p, t.path) == "127.0.0.1:5000/ml/mnist-trainer:v1");
}

TEST_CASE("kf build: option errors are usage errors with pinned text") {
  action::BuildOptions o;
  o.variant = "rocm";
  CHECK_THROWS_WITH_AS(action::validate(o),
                       "unknown variant \"rocm\": choose cpu (a self-contained image) or cuda (on a CUDA runtime base image)",
                       UsageError);
  o.variant = "cdua";
  CHECK_THROWS_WITH_AS(action::validate(o),
                       "unknown variant \"cdua\" (did you mean 'cuda'?): choose cpu (a self-contained image) or cuda (on a CUDA runtime base image)",
                       UsageError);
  o.variant = "cpu";
  o.outputs = {"oci:out", "docker-archive:x.tar", "tar:x"};
  CHECK_THROWS_WITH_AS(action::validate(o),
                       "-o \"tar:x\": write the image with -o oci:DIR (an OCI image layout) or -o docker-archive:FILE (for docker "
                       "load); formats are table, json and yaml",
                       UsageError);
  o.outputs = {"oci:out", "docker-archive:x.tar"};
  const auto outs = action::validate(o);
  REQUIRE(outs.size() == 2);
  CHECK(outs[1].kind == "docker-archive");
  CHECK(outs[1].path == "x.tar");
  o.ca_file = "/nonexistent/ca.crt";
  CHECK_THROWS_WITH_AS(action::validate(o), "--ca-file /nonexistent/ca.crt: no such file", UsageError);
  CHECK(action::strip_url_credentials("https://user:tok@github.com/acme/x.git") == "https://github.com/acme/x.git");
  CHECK(action::strip_url_credentials("git@github.com:acme/x.git") == "git@github.com:acme/x.git");
  CHECK(action::strip_url_credentials("https://github.com/a@b/x.git") == "https://github.com/a@b/x.git");
}
