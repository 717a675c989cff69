#pragma once
// The GPU engine factory. Returns null (and says why in *why_not) when the
// model has a layer the GPU engine does not cover (it trains the MLP and the
// CNN, with SGD or Adam), or when CUDA was not built in; the caller then
// uses the CPU engine. NCCL's unique id travels through the Gloo broadcast.

#include "runtime/engine.h"
#include "runtime/gpu.h"

#include <memory>
#include <string>

namespace kf::trainer {

std::unique_ptr<Engine> make_gpu_engine(Model& model, Optimizer& optimizer, Communicator& comm,
                                        const GpuProbe& gpu, std::string* why_not);

} // namespace kf::trainer
