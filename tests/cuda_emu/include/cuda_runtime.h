#pragma once
// The CUDA emulator's runtime header (tests/cuda_emu/README.md): the subset of
// the CUDA runtime API and of the kernel language that kf's GPU engine uses,
// run on the host. Built only for the tests, with this directory ahead of
// any CUDA include directory, so the engine's own sources (runtime/cuda/)
// compile unchanged, kernels included.
//
// Kernel side: __global__/__device__ vanish, __shared__ becomes `static
// thread_local` (a launching thread runs one block at a time; shared memory
// read before it is written shows the last block's values, not garbage),
// threadIdx/blockIdx/blockDim/gridDim are
// per-thread variables the launch sets, __syncthreads() is a barrier of the
// block's threads (fibers), atomicAdd is a plain add (a launch runs on one
// host thread). KF_LAUNCH (runtime/cuda/launch.h) calls launch() below.
//
// Host side: device memory is mapped apart from the heap and readable only
// while emulated device work runs, so host code that dereferences a device
// pointer faults, as it would with a real GPU; copies check their direction
// against the allocations; work queued on a stream runs at once.

#include <cmath>
#include <cstddef>
#include <functional>
#include <math.h> // expf, tanhf, ... in the global namespace, as in device code
#include <tuple>
#include <type_traits>
#include <utility>

#ifndef KF_CUDA_EMULATION
#error "the CUDA emulator's headers need -DKF_CUDA_EMULATION (runtime/cuda/launch.h reads it)"
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static thread_local
#define __restrict__ __restrict

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

extern thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

void __syncthreads();
inline float atomicAdd(float* at, float v) {
  const float old = *at;
  *at = old + v;
  return old;
}

typedef struct CUstream_st* cudaStream_t;

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
};

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

struct cudaDeviceProp {
  char name[256];
  std::size_t totalGlobalMem;
  int major, minor, multiProcessorCount;
};

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetLastError();
const char* cudaGetErrorString(cudaError_t error);
cudaError_t cudaMalloc(void** ptr, std::size_t bytes);
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes);
cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);

namespace kf_cuda_emu {

// Runs body() once per thread of every block of the grid (grid.cpp);
// `function` identifies the kernel, `name` names it in messages.
void run_grid(dim3 grid, dim3 block, const void* function, const char* name, const std::function<void()>& body);
// Whether [p, p + bytes) lies inside one device allocation.
bool is_device(const void* p, std::size_t bytes);

// Device memory is readable and writable while one of these lives.
class DeviceAccess {
public:
  DeviceAccess();
  ~DeviceAccess();
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;
};

// Stops the emulator when pointer argument `index` of kernel `name` is
// neither null nor in (or just past) device memory: a GPU would fault on it.
void require_device_argument(const char* name, std::size_t index, const void* p);

// KF_LAUNCH's emulation: the arguments convert to the kernel's parameter
// types once, as a real launch copies them, and every thread gets a copy.
// An argument as a launch converts it: implicitly (no casts a launch refuses).
template <typename T>
T convert(std::type_identity_t<T> v) {
  return v;
}

template <typename... P, typename... A>
void launch(const char* name, void (*kernel)(P...), dim3 grid, dim3 block, cudaStream_t /*stream*/, A&&... args) {
  const std::tuple<P...> params(convert<P>(std::forward<A>(args))...);
  std::apply(
      [name](const auto&... p) {
        std::size_t index = 0;
        const auto check = [&](const auto& v) {
          if constexpr (std::is_pointer_v<std::decay_t<decltype(v)>>) require_device_argument(name, index, v);
          ++index;
        };
        (check(p), ...);
      },
      params);
  run_grid(grid, block, reinterpret_cast<const void*>(kernel), name, [&] { std::apply(kernel, params); });
}

} // namespace kf_cuda_emu
