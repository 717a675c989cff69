#pragma once
// The GPU engine's layers: device twins of layers.h (Dense, Activation,
// Conv2d, MaxPool2d; BatchNorm, Dropout and GlobalAvgPool2d in
// gpu_norm.cpp; EmbeddingBag and TransformerEncoder in gpu_text.cpp; Flatten
// is only a reshape and has no twin), built from
// the host Model so both train the same network. Parameters and gradients
// live in the engine's two flat device buffers, in Model::params() order;
// each layer knows its offsets. Activations are batch-first row-major, as
// on the CPU. All work is queued on the context's stream.

#include "runtime/cuda/device.h"
#include "runtime/model.h"

#include <memory>
#include <string>
#include <vector>

namespace kf::trainer {
class TransformerEncoder;
} // namespace kf::trainer

namespace kf::trainer::cuda {

struct GpuContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  float* params = nullptr; // flat parameter values
  float* grads = nullptr;  // flat gradients, same layout
  bool training = false;   // a training step's forward (batch statistics, dropout), or evaluation's
  ncclComm_t nccl = nullptr; // the ranks' communicator (SyncBatchNorm sums inside forward and backward)
};

class GpuLayer {
public:
  virtual ~GpuLayer() = default;
  std::size_t in_size = 0;  // per-sample input elements
  std::size_t out_size = 0; // per-sample output elements
  // The host batch, before forward: text encoders (always the first layer)
  // read their token ids here, check them as the CPU layer does, and copy
  // what their kernels need.
  virtual void stage(GpuContext& /*ctx*/, const Tensor& /*x*/) {}
  virtual void forward(GpuContext& ctx, const float* in, float* out, int n) = 0;
  // Writes this layer's gradients; din may be null (first layer).
  virtual void backward(GpuContext& ctx, const float* in, const float* out, const float* dout, float* din, int n) = 0;
  // Host state the twin keeps on the device (BatchNorm's running
  // statistics): to the device with the parameters, and back.
  virtual void push_state() {}
  virtual void pull_state() {}
};

// The twin of an EmbeddingBag or a TransformerEncoder (gpu_text.cpp), as
// make_norm_twin; null for another type.
std::unique_ptr<GpuLayer> make_text_twin(Layer& layer, const std::string& type, const Shape& in, std::size_t offset);
// The TransformerEncoder's (gpu_transformer.cpp).
std::unique_ptr<GpuLayer> make_transformer_twin(TransformerEncoder& host, const Shape& in, std::size_t offset);

// Row-major C[m, n] = op(A) op(B) on the context's cuBLAS handle; `what`
// names it in errors.
void gemm(GpuContext& ctx, bool trans_a, bool trans_b, int m, int n, int k, const float* a, const float* b, float* c,
          const char* what);

// The twin of a BatchNorm, Dropout or GlobalAvgPool2d layer whose input has
// the per-sample shape `in` and whose parameters start at `offset` in the
// flat buffers; null for another type (gpu_norm.cpp).
std::unique_ptr<GpuLayer> make_norm_twin(Layer& layer, const std::string& type, const Shape& in, std::size_t offset);

// A layer size as the int that kernels and cuBLAS take.
inline int as_int(std::size_t v) { return static_cast<int>(v); }

// The first layer type of `model` that has no device twin, or "" when the
// GPU engine can train it.
std::string unsupported_layer(Model& model);
// The device layers for `model`, in order. Throws Error for a layer type
// without a twin (check unsupported_layer() first).
std::vector<std::unique_ptr<GpuLayer>> make_gpu_layers(Model& model);

} // namespace kf::trainer::cuda
