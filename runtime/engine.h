#pragma once
// Engine: one data-parallel training step and evaluation on some device.
// The training loop (trainer.cpp) owns the host Model and Optimizer, which
// are the source of truth for checkpoints and export; an engine that keeps
// its own copy (the GPU engine) syncs with pull()/push().
//   CpuEngine: OpenBLAS forward/backward; the gradients' Gloo all-reduce
//   either once after backward, or (overlap) in buckets during it (overlap.h).
//   GPU engine (cuda/): cuBLAS + CUDA kernels, NCCL all-reduce (cuda/gpu_layers.h).

#include "runtime/comm.h"
#include "runtime/model.h"
#include "runtime/optimizer.h"

#include <memory>

namespace kf::trainer {

class Engine {
public:
  virtual ~Engine() = default;
  // Forward, backward, gradient all-reduce, optimizer update. Returns the
  // loss sum and correct count over the *global* batch (all ranks).
  virtual LossResult train_step(const Tensor& x, const std::vector<std::uint8_t>& labels, float grad_scale,
                                float lr) = 0;
  // Local (this rank's) sums; the caller all-reduces.
  virtual LossResult evaluate(const Tensor& x, const std::vector<std::uint8_t>& labels) = 0;
  virtual void pull() {} // device -> host Model/Optimizer
  virtual void push() {} // host -> device
  virtual std::string name() const = 0;
};

// overlap: all-reduce in buckets on a thread of its own while backward runs
// (pays when a core is free for it); otherwise one all-reduce after backward.
std::unique_ptr<Engine> make_cpu_engine(Model& model, Optimizer& optimizer, Communicator& comm, bool overlap = false);

} // namespace kf::trainer
