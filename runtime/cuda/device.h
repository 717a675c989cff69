#pragma once
// Host-side helpers of the GPU engine: CUDA/cuBLAS/NCCL status checks that
// throw trainer::Error, and DeviceBuffer, a growable device array. Included
// only by the engine's host sources (g++), never by kernels.cu.

#include "runtime/error.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace kf::trainer::cuda {

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}
inline void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw Error(std::string("cuBLAS: ") + what + " failed with status " + std::to_string(static_cast<int>(s)));
}
inline void check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw Error(std::string("NCCL: ") + what + ": " + ncclGetErrorString(r));
}

// A device array of T that only grows; reserve() keeps no contents when it
// reallocates (callers rewrite what they reserve).
template <typename T>
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { cudaFree(m_ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : m_ptr(o.m_ptr), m_size(o.m_size) {
    o.m_ptr = nullptr;
    o.m_size = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&&) = delete;

  void reserve(std::size_t n) {
    if (n <= m_size) return;
    cudaFree(m_ptr);
    m_ptr = nullptr;
    m_size = 0;
    check(cudaMalloc(reinterpret_cast<void**>(&m_ptr), n * sizeof(T)), "cudaMalloc");
    m_size = n;
  }
  T* get() const { return m_ptr; }

private:
  T* m_ptr = nullptr;
  std::size_t m_size = 0;
};

// Copies `from` into `to` (grown to fit) on `stream`. From pageable memory
// the copy returns once staged, so `from` may change or go after.
template <typename T>
void upload(DeviceBuffer<T>& to, const std::vector<T>& from, cudaStream_t stream, const char* what) {
  to.reserve(std::max<std::size_t>(from.size(), 1));
  check(cudaMemcpyAsync(to.get(), from.data(), from.size() * sizeof(T), cudaMemcpyHostToDevice, stream), what);
}

} // namespace kf::trainer::cuda
