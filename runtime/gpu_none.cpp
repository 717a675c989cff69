// Built when nvcc or NCCL was not found, and for kf-trainer-cpu (KF_TRAINER_CPU_TWIN): no GPU path.
#include "runtime/gpu_engine.h"

namespace kf::trainer {

GpuProbe probe_gpu(int /*local_rank*/) {
  GpuProbe p;
#ifdef KF_TRAINER_CPU_TWIN
  p.description = "kf-trainer-cpu: the build without CUDA, for machines without a GPU";
#else
  p.description = "this kf-trainer was built without CUDA (nvcc or NCCL not found at build time)";
#endif
  return p;
}

std::unique_ptr<Engine> make_gpu_engine(Model&, Optimizer&, Communicator&, const GpuProbe&, std::string* why_not) {
  if (why_not != nullptr) *why_not = "built without CUDA";
  return nullptr;
}

} // namespace kf::trainer
