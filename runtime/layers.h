#pragma once
// The layers kf-trainer's models are built from. Each layer maps a batch
// tensor to a batch tensor; per-sample shapes are [D] (dense) or [C, H, W]
// (conv, pool). forward() may cache what backward() needs, so call
// backward() with the same input right after forward(). backward()
// overwrites (does not accumulate) the layer's parameter gradients.
// Dense and Conv2d do their GEMMs with OpenBLAS (conv via im2col);
// EmbeddingBag (embedding.cpp) serves the text models; BatchNorm, Dropout
// and GlobalAvgPool2d live in norm.cpp.

#include "runtime/rng.h"
#include "runtime/tensor.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kf::trainer {

class Layer {
public:
  virtual ~Layer() = default;
  // Per-sample output shape for a per-sample input shape.
  virtual Shape output_shape(const Shape& in) const = 0;
  virtual void forward(const Tensor& in, Tensor& out) = 0;
  // din may be null (first layer): then the input gradient is not computed.
  virtual void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) = 0;
  virtual std::vector<Param*> params() { return {}; }
  // State that is saved with the weights but not trained (BatchNorm's running
  // statistics): checkpoints and exports hold it, optimizers never see it.
  virtual std::vector<Param*> buffers() { return {}; }
  // The layer's entry in the exported model config.
  virtual nlohmann::json config() const = 0;
  // Forward FLOPs per sample (2 per multiply-add); backward is about twice.
  virtual double flops_per_sample() const { return 0.0; }
  // Training mode turns dropout on (Model::train_batch); evaluation turns it off.
  virtual void set_training(bool /*training*/) {}
  // For inference only, after the last change to the weights (Model::freeze):
  // a layer keeps what makes its forward pass faster (dense weights as W^T).
  virtual void freeze() {}
  // Data-parallel training: `sum` adds n doubles over every rank in place (an
  // all-reduce). Layers whose statistics span the batch (BatchNorm) use it to
  // see the global batch; the rest ignore it.
  using CrossRankSum = std::function<void(double* data, std::size_t n)>;
  virtual void synchronise(const CrossRankSum& /*sum*/) {}
};

// Fills w.transposed with W^T [in, out] of a dense weight [out, in].
void keep_transposed(Param& w);
// y [rows, out] += x [rows, in] W^T, through w.transposed when the layer is frozen.
void dense_gemm_add(const float* x, std::size_t rows, const Param& w, float* y);

// y = x W^T + b, W [out, in].
class Dense : public Layer {
public:
  Dense(std::size_t in, std::size_t out, const std::string& prefix, Rng& rng);
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  std::vector<Param*> params() override { return {&m_weight, &m_bias}; }
  nlohmann::json config() const override;
  double flops_per_sample() const override { return 2.0 * static_cast<double>(m_in * m_out); }
  void freeze() override { keep_transposed(m_weight); }

private:
  std::size_t m_in;
  std::size_t m_out;
  Param m_weight;
  Param m_bias;
};

enum class ActivationKind { relu, tanh, sigmoid };
ActivationKind parse_activation(const std::string& name); // throws UsageError
std::string to_string(ActivationKind kind);

class Activation : public Layer {
public:
  explicit Activation(ActivationKind kind) : m_kind(kind) {}
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  nlohmann::json config() const override { return {{"type", to_string(m_kind)}}; }

private:
  ActivationKind m_kind;
};

// [C, H, W] -> [C*H*W]; the data is already laid out that way.
class Flatten : public Layer {
public:
  Shape output_shape(const Shape& in) const override { return {numel(in)}; }
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  nlohmann::json config() const override { return {{"type", "flatten"}}; }
};

// Convolution, stride 1, zero padding k/2 ("same" for odd k), W [F, C, k, k].
// Without a bias (torch's bias=False) when a BatchNorm follows: its beta is the bias.
class Conv2d : public Layer {
public:
  Conv2d(std::size_t channels, std::size_t height, std::size_t width, std::size_t filters,
         std::size_t kernel, const std::string& prefix, Rng& rng, bool bias = true);
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  std::vector<Param*> params() override {
    if (m_has_bias) return {&m_weight, &m_bias};
    return {&m_weight};
  }
  nlohmann::json config() const override;
  double flops_per_sample() const override;

private:
  std::size_t m_c, m_h, m_w, m_f, m_k, m_pad;
  bool m_has_bias;
  Param m_weight;
  Param m_bias;
  std::vector<float> m_col;  // im2col of the last forward batch [C*k*k, N*H*W]; its padding stays zero
  std::vector<float> m_dcol; // backward's gradient of m_col (kept apart: m_col's zeros are reused)
  std::vector<float> m_tmp;  // [F, N*H*W] scratch
};

// The row of an id stored as a float; throws Error on an id outside a table of `rows`.
std::size_t embedding_row(float id, std::size_t rows);

// The mean of the embedding rows of each sample's non-zero ids (id 0 is
// padding), as torch.nn.EmbeddingBag(mode="mean", padding_idx=0). Input
// [N, L] ids stored as floats; weight [rows, dim]. Ids have no gradient:
// din, when asked for, is zero. A sample of only padding gives zeros.
class EmbeddingBag : public Layer {
public:
  // slots: ids per sample.
  EmbeddingBag(std::size_t rows, std::size_t dim, std::size_t slots, const std::string& prefix, Rng& rng);
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  std::vector<Param*> params() override { return {&m_weight}; }
  nlohmann::json config() const override;
  double flops_per_sample() const override { return static_cast<double>(m_slots * m_dim); }

private:
  std::size_t m_rows, m_dim, m_slots;
  Param m_weight;
};

// 2x2 max pooling, stride 2 (odd sizes drop the last row/column).
class MaxPool2d : public Layer {
public:
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  nlohmann::json config() const override { return {{"type", "maxpool2d"}, {"kernel_size", 2}, {"stride", 2}}; }

private:
  std::vector<std::uint8_t> m_argmax; // where in its 2x2 window each output's maximum was: 0 1 / 2 3
};

// Batch normalisation over the channels of [C, H, W] (as torch's BatchNorm2d)
// or the features of [D] (BatchNorm1d): in training, each channel is
// normalised by the batch's mean and (biased) variance, and running
// statistics are updated with momentum 0.1 (the variance unbiased, as
// torch); in evaluation the running statistics are used. weight (gamma)
// and bias (beta) are trained without weight decay.
class BatchNorm : public Layer {
public:
  BatchNorm(std::size_t channels, bool spatial, const std::string& prefix);
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  std::vector<Param*> params() override { return {&m_weight, &m_bias}; }
  std::vector<Param*> buffers() override { return {&m_running_mean, &m_running_var}; }
  nlohmann::json config() const override;
  double flops_per_sample() const override { return 4.0 * static_cast<double>(m_c); }
  void set_training(bool training) override { m_training = training; }
  // SyncBatchNorm (torch.nn.SyncBatchNorm): in training, the batch's mean and
  // variance, and backward's two sums, are over every rank's batch, so N
  // workers normalise as one worker over the global batch. The weight and
  // bias gradients stay this rank's own (the engine sums them with the rest).
  // Every rank calls `sum` the same number of times per step.
  void synchronise(const CrossRankSum& sum) override { m_sum = sum; }
  bool synchronised() const { return static_cast<bool>(m_sum); }

  static constexpr float k_eps = 1e-5f;
  static constexpr float k_momentum = 0.1f;

private:
  std::size_t m_c;
  bool m_spatial;
  Param m_weight, m_bias, m_running_mean, m_running_var;
  bool m_training = false;
  bool m_batch_stats = false;     // the last forward used the batch's statistics
  std::vector<float> m_xhat;      // the last forward's normalised input
  std::vector<float> m_inv_std;   // [C] 1 / sqrt(var + eps) of the last forward
  CrossRankSum m_sum;             // set: SyncBatchNorm
  double m_count = 0.0;           // elements per channel of the last forward's batch (global when synchronised)
  std::vector<double> m_mean, m_var; // [C] the last forward's statistics
  std::vector<double> m_stats;       // the sums a step all-reduces (kept: no allocation per step)
  // m_mean, m_var and m_count: per-channel mean and biased variance of the
  // batch, over every rank with m_sum.
  void batch_statistics(const Tensor& in);
};

// Inverted dropout (torch.nn.Dropout): in training each element is zeroed
// with probability p and the rest scaled by 1 / (1 - p); identity in
// evaluation. The mask comes from the layer's own seeded stream.
class Dropout : public Layer {
public:
  Dropout(float p, std::uint64_t seed);
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  nlohmann::json config() const override { return {{"type", "dropout"}, {"p", m_p}}; }
  void set_training(bool training) override { m_training = training; }
  // A training forward's mask over `count` elements (0, or 1 / (1 - p)), the
  // next draws of the layer's stream: forward() uses it, and so does the GPU
  // twin, so both engines drop the same elements.
  const std::vector<float>& draw_mask(std::size_t count);

private:
  float m_p;
  Rng m_rng;
  bool m_training = false;
  std::vector<float> m_mask; // empty: the last forward was the identity
};

// [C, H, W] -> [C]: the mean of each channel (torch's AdaptiveAvgPool2d(1) + flatten).
class GlobalAvgPool2d : public Layer {
public:
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  nlohmann::json config() const override { return {{"type", "globalavgpool2d"}}; }
};

} // namespace kf::trainer
