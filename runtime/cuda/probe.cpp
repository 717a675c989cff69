// probe_gpu() for builds with CUDA: any CUDA error, or no device, is "no GPU".
#include "runtime/gpu.h"

#include <cuda_runtime.h>

#include <cstdlib>

namespace kf::trainer {

GpuProbe probe_gpu(int local_rank) {
  GpuProbe p;
  p.built = true;
  int count = 0; // cudaGetDeviceCount leaves it unchanged on error (e.g. 35, no driver)
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    p.description = "CUDA error " + std::to_string(static_cast<int>(err)) + ": " + cudaGetErrorString(err);
    cudaGetLastError(); // clear it
    return p;
  }
  if (count <= 0) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    p.description = std::string("no CUDA device visible") +
                    (visible != nullptr ? std::string(" (CUDA_VISIBLE_DEVICES=") + visible + ")" : std::string());
    return p;
  }
  p.count = count;
  p.device = local_rank % count;
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, p.device) != cudaSuccess) {
    p.description = "cannot query CUDA device " + std::to_string(p.device);
    cudaGetLastError();
    return p;
  }
  p.available = true;
  p.description = "cuda:" + std::to_string(p.device) + " " + prop.name;
  return p;
}

} // namespace kf::trainer
