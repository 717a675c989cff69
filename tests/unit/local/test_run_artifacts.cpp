// What a local training or serving run records as its artifacts
// (libkf/local/run_artifacts.cpp): flags read as kf-trainer reads them, and
// the files a run left.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "libkf/local/run_artifacts.h"
#include "libkf/metadata/runs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using kf::test::TempDir;
namespace stdfs = std::filesystem;

namespace {

local::ReplicaPlan trainer(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {}) {
  local::ReplicaPlan r;
  r.name = "master-0";
  r.argv = {"kf-trainer"};
  r.argv.insert(r.argv.end(), args.begin(), args.end());
  r.env = std::move(env);
  return r;
}

std::string types(const std::vector<metadata::ArtifactRecord>& artifacts) {
  std::string out;
  for (const auto& a : artifacts) out += (out.empty() ? "" : " ") + a.type + ":" + a.name + ":" + a.direction;
  return out;
}

const local::Warn no_warning = [](const std::string& w) { FAIL("unexpected warning: " << w); };

} // namespace

TEST_CASE("run artifacts: a flag is read as the trainer reads it") {
  // The last occurrence wins, in either spelling.
  CHECK(local::trainer_flag(trainer({"--data", "a", "--data=b"}), "--data") == "b");
  CHECK(local::trainer_flag(trainer({"--data=b", "--data", "a"}), "--data") == "a");
  // A flag wins over its KF_* variable; the variable's name upper-cases and turns '-' into '_'.
  CHECK(local::trainer_flag(trainer({"--model-dir", "m"}, {{"KF_MODEL_DIR", "e"}}), "--model-dir") == "m");
  CHECK(local::trainer_flag(trainer({}, {{"KF_MODEL_DIR", "e"}}), "--model-dir") == "e");
  // A flag at the end without its value is not given; argv[0] is never a flag.
  CHECK(local::trainer_flag(trainer({"--data"}), "--data") == "");
  local::ReplicaPlan r = trainer({});
  r.argv = {"--data=x"};
  CHECK(local::trainer_flag(r, "--data") == "");
  // A longer flag that starts the same is another flag.
  CHECK(local::trainer_flag(trainer({"--data-limit=5"}), "--data") == "");
}

TEST_CASE("run artifacts: what a training run used and left") {
  TempDir tmp;
  const stdfs::path run = tmp.path / "run";
  stdfs::create_directories(run / "output" / "checkpoints");
  stdfs::create_directories(tmp.path / "data" / "fashion");
  std::ofstream(tmp.path / "data" / "fashion" / "train.bin") << "pixels";
  // Nothing but a dataset: the output directory is empty.
  auto got = local::training_artifacts(trainer({"--data", "../data/fashion"}), run, no_warning);
  CHECK(types(got) == "kf.Dataset:fashion:input");
  REQUIRE(got.size() == 1);
  CHECK(got[0].uri == stdfs::weakly_canonical(tmp.path / "data" / "fashion").string());
  CHECK(got[0].sha256.size() == 64);
  CHECK(got[0].size == 0); // a directory's size is not summed
  // The model, the checkpoint `latest` names and the metrics, in output/ by default.
  std::ofstream(run / "output" / "model.safetensors") << "weights";
  std::ofstream(run / "output" / "checkpoints" / "latest") << "ckpt-40.safetensors\n";
  std::ofstream(run / "output" / "checkpoints" / "ckpt-40.safetensors") << "ckpt";
  std::ofstream(run / "output" / "metrics.jsonl") << "{}\n";
  got = local::training_artifacts(trainer({"--data", "synthetic"}), run, no_warning);
  CHECK(types(got) == "kf.Model:model:output kf.Checkpoint:ckpt-40:output kf.Metrics:metrics:output");
  CHECK(got[0].uri == stdfs::weakly_canonical(run / "output").string());
  CHECK(got[0].size == 7); // the model's file
  // A checkpoint `latest` names that is gone is not recorded; a URL dataset has no digest.
  stdfs::remove(run / "output" / "checkpoints" / "ckpt-40.safetensors");
  got = local::training_artifacts(trainer({}, {{"KF_DATA", "https://example.com/sets/mnist"}}), run, no_warning);
  CHECK(types(got) == "kf.Dataset:mnist:input kf.Model:model:output kf.Metrics:metrics:output");
  CHECK(got[0].uri == "https://example.com/sets/mnist");
  CHECK(got[0].sha256.empty());
  // --output elsewhere: nothing there.
  CHECK(types(local::training_artifacts(trainer({"--output=elsewhere"}), run, no_warning)) == "");
}

TEST_CASE("run artifacts: a model server's model is its input") {
  TempDir tmp;
  CHECK(local::served_model(trainer({}), no_warning).empty());
  std::ofstream(tmp.path / "model.safetensors") << "weights";
  const auto got = local::served_model(trainer({"--model-dir", tmp.path.string()}), no_warning);
  CHECK(types(got) == "kf.Model:model:input");
  REQUIRE(got.size() == 1);
  CHECK(got[0].uri == tmp.path.string());
  CHECK(got[0].size == 7);
}
