#pragma once
// KF_LAUNCH(kernel, grid, block, stream, args...): a kernel launch with no
// dynamic shared memory, as `kernel<<<grid, block, 0, stream>>>(args...)`
// under nvcc. The same kernel sources also compile as C++ over the CUDA
// emulator (tests/cuda_emu: KF_CUDA_EMULATION), which runs the launch on the
// host, as HIP's hipLaunchKernelGGL does for its own runtime.
#ifdef KF_CUDA_EMULATION
#define KF_LAUNCH(kernel, grid, block, stream, ...)                                                                  \
  ::kf_cuda_emu::launch(#kernel, kernel, grid, block, stream, __VA_ARGS__)
#else
#define KF_LAUNCH(kernel, grid, block, stream, ...) kernel<<<grid, block, 0, stream>>>(__VA_ARGS__)
#endif
