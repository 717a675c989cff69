#pragma once
// The GPU engine's layers: device twins of layers.h (Dense, Activation,
// Conv2d, MaxPool2d; Flatten is only a reshape and has no twin), built from
// the host Model so both train the same network. Parameters and gradients
// live in the engine's two flat device buffers, in Model::params() order;
// each layer knows its offsets. Activations are batch-first row-major, as
// on the CPU. All work is queued on the context's stream.

#include "runtime/cuda/device.h"
#include "runtime/model.h"

#include <memory>
#include <string>
#include <vector>

namespace kf::trainer::cuda {

struct GpuContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  float* params = nullptr; // flat parameter values
  float* grads = nullptr;  // flat gradients, same layout
};

class GpuLayer {
public:
  virtual ~GpuLayer() = default;
  std::size_t in_size = 0;  // per-sample input elements
  std::size_t out_size = 0; // per-sample output elements
  virtual void forward(GpuContext& ctx, const float* in, float* out, int n) = 0;
  // Writes this layer's gradients; din may be null (first layer).
  virtual void backward(GpuContext& ctx, const float* in, const float* out, const float* dout, float* din, int n) = 0;
};

// The first layer type of `model` that has no device twin, or "" when the
// GPU engine can train it.
std::string unsupported_layer(Model& model);
// The device layers for `model`, in order. Throws Error for a layer type
// without a twin (check unsupported_layer() first).
std::vector<std::unique_ptr<GpuLayer>> make_gpu_layers(Model& model);

} // namespace kf::trainer::cuda
