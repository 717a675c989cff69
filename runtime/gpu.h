#pragma once
// The GPU seam. probe_gpu() says whether this process can train on a GPU
// (CUDA built in, a driver, a device); it never throws and treats every
// CUDA error (e.g. 35, "insufficient driver", on a machine without a GPU)
// as "no GPU". Implemented in cuda/ when nvcc and NCCL were found at build
// time, otherwise by gpu_none.cpp. The GPU training engine is in
// gpu_engine.h.

#include <string>

namespace kf::trainer {

struct GpuProbe {
  bool built = false;       // the CUDA path was compiled in
  bool available = false;   // a usable device exists
  int device = -1;          // the device this process uses
  int count = 0;            // visible devices
  std::string description;  // for the log line: device name, or why none
};

// Picks device local_rank % count (CUDA_VISIBLE_DEVICES already narrows the set).
GpuProbe probe_gpu(int local_rank);

} // namespace kf::trainer
