#pragma once
// The supervisor of one local run: a process of its own (`kf __supervise`,
// started by LocalTarget::submit in a new session, so it outlives the kf
// that started it) that executes plan.json the way the training operator
// would:
//
// - starts every replica (process.h) with its environment, in the run dir;
// - restartPolicy: OnFailure and Always restart a failed replica, ExitCode
//   only for exit codes >= 128 (killed by a signal: retryable, as the
//   operator decides), Never not at all. Gloo collectives cannot lose a peer,
//   so a restart restarts every replica (the trainer resumes from its last
//   checkpoint); each restart counts against runPolicy.backoffLimit, and a
//   failure beyond it fails the job;
// - the job succeeds when the Master (Chief; else worker 0) exits 0;
// - SIGTERM (Ctrl-C in an attached kf, `kf delete`) stops every replica and
//   marks the run Failed with reason Stopped;
// - keeps object.json's status (conditions, replicaStatuses) and local.json
//   current, and records the run in the metadata store: state changes,
//   per-epoch metrics parsed from the Master's log (Katib's
//   "epoch=N name=value ..." lines), the dataset it read and the model,
//   checkpoint and metrics it wrote, with sha256 digests.

#include <chrono>
#include <filesystem>

namespace kf::local {

struct SuperviseOptions {
  std::filesystem::path run_dir;
  std::filesystem::path metadata_db;
  std::chrono::milliseconds poll{20};        // how often replicas and logs are looked at (a trial's end reaches its Experiment within two)
  std::chrono::milliseconds grace{10000};    // SIGTERM -> SIGKILL
  int restarts = 0; // already used of the job's backoffLimit (kf resume after a lost supervisor carries them over)
};

// Runs the job to its end. Returns 0 if it succeeded, 1 otherwise.
int supervise(const SuperviseOptions& options);

} // namespace kf::local
