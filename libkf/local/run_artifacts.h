#pragma once
// The artifacts a local run of kf-trainer or kf-server records in the
// project's metadata, read from its first replica's command line and the
// files it left: kf.Dataset (the trainer's --data, an input), kf.Model,
// kf.Checkpoint and kf.Metrics (in its --output, outputs), and a server's
// kf.Model (its --model-dir, an input).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "libkf/local/plan.h"
#include "libkf/metadata/runs.h"

namespace kf::local {

// A flag's value as kf-trainer and kf-server read it: the last occurrence in
// argv wins (--flag=value or --flag value), and a flag wins over its KF_*
// variable in the environment (--data -> KF_DATA). "" when neither is given.
std::string trainer_flag(const ReplicaPlan& replica, const std::string& flag);

// Where a failed digest is said (the artifact is recorded without it).
using Warn = std::function<void(const std::string&)>;

// An artifact at `uri` with the sha256 and size of `digest_of` when that
// exists ("" or missing: recorded without).
metadata::ArtifactRecord artifact_at(const std::string& type, const std::string& name, const std::filesystem::path& uri,
                                     const std::string& direction, const std::filesystem::path& digest_of,
                                     const Warn& warn);

// What a training run used and left: the dataset of --data (a URL by its
// last segment; a path, relative to `run_root`, by its name; "synthetic":
// none), and in --output (default output/, relative to `run_root`) the model,
// the checkpoint checkpoints/latest names and metrics.jsonl, those that exist.
std::vector<metadata::ArtifactRecord> training_artifacts(const ReplicaPlan& replica, const std::filesystem::path& run_root,
                                                         const Warn& warn);

// What a model server serves: the model of its --model-dir (none without one).
std::vector<metadata::ArtifactRecord> served_model(const ReplicaPlan& replica, const Warn& warn);

} // namespace kf::local
