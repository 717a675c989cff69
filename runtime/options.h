#pragma once
// TrainerOptions: everything a kf-trainer run is configured with. The
// defaults live here; main.cpp binds each field to a flag and to a KF_*
// environment variable (flags win), and validate() checks them.

#include "runtime/comm.h"
#include "runtime/data.h"
#include "runtime/model.h"
#include "runtime/optimizer.h"

#include <cstdint>
#include <string>

namespace kf::trainer {

struct TrainerOptions {
  ModelConfig model;                 // --model --layers --activation --conv-channels --kernel-size
  OptimizerConfig optimizer;         // --optimizer --lr --momentum --weight-decay --lr-schedule ...
  DataOptions data;                  // --data --data-format --test-data --cache-dir ...
  std::string augment = "none";      // --augment: none | crop | flip | crop,flip (images, training only)
  std::size_t epochs = 5;            // --epochs
  std::size_t batch_size = 64;       // --batch-size, per worker (global = batch-size x workers)
  std::uint64_t seed = 42;           // --seed: weights, shuffles
  std::string output = "output";     // --output: checkpoints/, model.safetensors, model.json, metrics.jsonl
  std::size_t checkpoint_every = 500; // --checkpoint-every N steps (and at each epoch end); 0 = epoch ends only
  bool resume = true;                // --no-resume starts over even if a checkpoint exists
  bool epochs_from_checkpoint = false; // --epochs-from-checkpoint: --epochs more than the resumed checkpoint's (pbt)
  int threads = 0;                   // --threads for OpenBLAS; 0 = cores / local workers
  std::string overlap = "auto";      // --overlap-allreduce auto | on | off (auto: on when a core is spare)
  bool sync_batch_norm = false;      // --sync-batch-norm: BatchNorm statistics over every worker's batch
  std::string device = "auto";       // --device auto | cpu | gpu
  RendezvousOptions rendezvous;      // --rendezvous-timeout --collective-timeout --bind-host
  std::string metrics_file;          // --metrics-file; default OUTPUT/metrics.jsonl
  bool progress = true;              // --quiet turns off progress on stderr
  int step_delay_ms = 0;             // --step-delay-ms: sleep after each step (tests, demos)
  std::string evaluate;              // --evaluate DIR: evaluate an exported model instead of training
};

void validate(const TrainerOptions& options); // throws UsageError

} // namespace kf::trainer
