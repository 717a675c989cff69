#pragma once
// Model: an MLP, a small CNN, an embedding-bag text classifier (the mean
// of token and hashed n-gram embeddings, as fastText) or a transformer
// encoder over tokens (runtime/transformer.h) built from layers.h, with
// softmax cross-entropy. ModelConfig is what --model/--layers/--activation/
// --conv-channels/--kernel-size describe; the same seed gives the same
// initial weights. The model owns its layers, parameters and activations;
// one model per thread.

#include "runtime/layers.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kf::trainer {

struct ModelConfig {
  std::string kind = "mlp";                          // mlp | cnn | embeddingbag | transformer
  std::vector<std::size_t> hidden = {128, 64};       // dense widths (MLP; the CNN's dense head)
  std::string activation = "relu";                   // relu | tanh | sigmoid
  std::vector<std::size_t> conv_channels = {16, 32}; // CNN: one conv+pool block per entry
  std::size_t kernel_size = 3;                       // CNN: odd, "same" padding
  bool batch_norm = false;                           // images: BatchNorm after each conv and hidden dense layer
  bool global_pool = false;                          // CNN: global average pooling in place of flattening
  float dense_dropout = 0.0f;                        // images: dropout after each hidden dense layer
  Shape input = {1, 28, 28};                         // [C, H, W]; text: [ids per sample]
  std::size_t classes = 10;
  // Text models (input: rows of token ids, runtime/text.h)
  std::size_t vocab_rows = 0;                        // embedding table rows (vocabulary + hash buckets)
  std::size_t embedding_dim = 64;                    // --embedding-dim
  std::size_t hash_slots = 0;                        // of input[0], the hashed features after the token slots
  // The transformer (runtime/transformer.h); its width is embedding_dim.
  std::size_t heads = 4;                             // --heads
  std::size_t encoder_layers = 2;                    // --encoder-layers
  std::size_t ffn_dim = 256;                         // --ffn-dim
  float dropout = 0.1f;                              // --dropout
  std::string pooling = "mean";                      // --pooling: mean | cls
  float label_smoothing = 0.0f;                      // --label-smoothing (training loss only)
};

// Whether a model kind takes rows of token ids rather than images.
bool is_text_model(const std::string& kind);

// Summed loss and number of correct predictions over a batch.
struct LossResult {
  double loss_sum = 0.0;
  std::size_t correct = 0;
};

// Softmax cross-entropy over logits [N, K]. When dlogits is not null it gets
// (softmax - target) * grad_scale (grad_scale = 1 / global batch), where the
// target is the one-hot label smoothed as torch's label_smoothing: (1 - s)
// on the label plus s / K on every class; the loss is against that target.
LossResult softmax_cross_entropy(const Tensor& logits, const std::vector<std::uint8_t>& labels,
                                 float grad_scale, Tensor* dlogits, float smoothing = 0.0f);

class Model {
public:
  Model(const ModelConfig& config, std::uint64_t seed); // throws UsageError on a bad config

  // Forward pass over x [N, C, H, W] (text: [N, ids]); returns the logits [N, classes].
  // x is not copied: it must live until the backward() that follows.
  const Tensor& forward(const Tensor& x);
  // Called with a layer's index as soon as its backward pass has filled its
  // parameters' gradients (last layer first): the engine all-reduces them
  // while the earlier layers compute.
  using GradsReady = std::function<void(std::size_t layer)>;
  // Backward from dlogits after forward(); fills every Param::grad.
  void backward(const Tensor& dlogits, const GradsReady& ready = {});
  // Dropout on (training) or off; train_batch turns it on for its forward only.
  void set_training(bool training);
  // For inference only, after the last change to the weights (kf-server, once
  // loaded): layers keep what speeds up forward() (Layer::freeze) and the
  // gradients are freed. backward() and train_batch() then throw Error.
  void freeze();
  bool frozen() const { return m_frozen; }
  // SyncBatchNorm: BatchNorm layers sum their batch statistics over every
  // rank through `sum` (Layer::synchronise; --sync-batch-norm).
  void synchronise(const Layer::CrossRankSum& sum);
  // forward + loss + backward on one batch.
  LossResult train_batch(const Tensor& x, const std::vector<std::uint8_t>& labels, float grad_scale,
                         const GradsReady& ready = {});
  LossResult evaluate(const Tensor& x, const std::vector<std::uint8_t>& labels);

  std::vector<Param*> params();
  // The running statistics of BatchNorm layers: saved, never trained.
  std::vector<Param*> buffers();
  // params() then buffers(): what checkpoints and exports hold.
  std::vector<Param*> state();
  std::size_t parameter_count() const;
  const ModelConfig& config() const { return m_config; }
  // The architecture as JSON (the exported model.json's "model" object).
  nlohmann::json config_json() const;
  double flops_per_sample() const; // forward only

  std::vector<std::unique_ptr<Layer>>& layers() { return m_layers; }

private:
  void add(std::unique_ptr<Layer> layer);
  void add_conv_blocks(ActivationKind act, Rng& rng);
  void add_text_encoder(Rng& rng);
  std::string prefix() const { return "layers." + std::to_string(m_layers.size()); }

  ModelConfig m_config;
  Shape m_shape; // the per-sample output shape of the layers so far
  std::vector<std::unique_ptr<Layer>> m_layers;
  // The first layer with parameters: no gradient is needed at its input,
  // so backward neither computes it nor runs the layers before (an MLP's
  // flatten; the first dense layer's input gradient was a third of a step).
  std::size_t m_first_trainable = SIZE_MAX;
  const Tensor& input_of(std::size_t layer) const { return layer == 0 ? *m_input : m_acts[layer]; }

  const Tensor* m_input = nullptr; // the last forward's x
  std::vector<Tensor> m_acts;   // m_acts[i+1] = output of layer i (m_acts[0] unused)
  std::vector<Tensor> m_grads;  // scratch for backward
  Tensor m_dlogits;
  bool m_frozen = false;
};

} // namespace kf::trainer
