// Built when nvcc or NCCL was not found: no GPU path.
#include "runtime/gpu_engine.h"

namespace kf::trainer {

GpuProbe probe_gpu(int /*local_rank*/) {
  GpuProbe p;
  p.description = "this kf-trainer was built without CUDA (nvcc or NCCL not found at build time)";
  return p;
}

std::unique_ptr<Engine> make_gpu_engine(Model&, Optimizer&, Communicator&, const GpuProbe&, std::string* why_not) {
  if (why_not != nullptr) *why_not = "built without CUDA";
  return nullptr;
}

} // namespace kf::trainer
