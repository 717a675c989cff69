// Model construction (MLP, CNN), forward/backward and softmax cross-entropy.
#include "runtime/model.h"

#include "runtime/error.h"
#include "runtime/transformer.h"

#include <algorithm>
#include <cmath>

namespace kf::trainer {

LossResult softmax_cross_entropy(const Tensor& logits, const std::vector<std::uint8_t>& labels,
                                 float grad_scale, Tensor* dlogits, float smoothing) {
  const double s = static_cast<double>(smoothing);
  const std::size_t n = logits.batch();
  const std::size_t k = logits.per_sample();
  LossResult r;
  if (dlogits != nullptr) dlogits->resize(logits.shape);
  std::vector<double> p(k);
  for (std::size_t i = 0; i < n; ++i) {
    const float* z = logits.ptr() + i * k;
    const std::size_t label = labels[i];
    const float zmax = *std::max_element(z, z + k);
    double sum = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      p[j] = std::exp(static_cast<double>(z[j] - zmax));
      sum += p[j];
    }
    std::size_t argmax = 0;
    for (std::size_t j = 0; j < k; ++j) {
      p[j] /= sum;
      if (z[j] > z[argmax]) argmax = j;
    }
    double smooth = 0.0; // the mean of -log p over the classes
    if (s > 0.0)
      for (std::size_t j = 0; j < k; ++j) smooth -= std::log(std::max(p[j], 1e-30)) / static_cast<double>(k);
    r.loss_sum += (1.0 - s) * -std::log(std::max(p[label], 1e-30)) + s * smooth;
    if (argmax == label) ++r.correct;
    if (dlogits != nullptr)
      for (std::size_t j = 0; j < k; ++j) {
        const double target = (j == label ? 1.0 - s : 0.0) + s / static_cast<double>(k);
        dlogits->data[i * k + j] = static_cast<float>(p[j] - target) * grad_scale;
      }
  }
  return r;
}

bool is_text_model(const std::string& kind) { return kind == "embeddingbag" || kind == "transformer"; }

Model::Model(const ModelConfig& config, std::uint64_t seed) : m_config(config), m_shape(config.input) {
  const bool text = is_text_model(config.kind);
  if (text && (config.input.size() != 1 || config.input[0] == 0 || config.vocab_rows < 2))
    throw UsageError("--model=" + config.kind + " needs text data (--data-format=text: a text and a label column)");
  if (!text && (config.input.size() != 3 || numel(config.input) == 0))
    throw UsageError(config.input.size() == 1 ? "--model=" + config.kind + " takes images; for text data use --model=transformer or embeddingbag"
                                              : "model input must be [channels, height, width]");
  if (config.classes < 2) throw UsageError("a classifier needs at least 2 classes");
  if (text && config.batch_norm)
    throw UsageError("--batch-norm is for the image models (mlp, cnn), not --model=" + config.kind +
                     (config.kind == "transformer" ? " (it has LayerNorm)" : ""));
  if (text && config.dense_dropout > 0.0f) // only a hand-made model.json gets here: --dropout goes to `dropout`
    throw UsageError("dense_dropout is for the image models (mlp, cnn), not --model=" + config.kind +
                     (config.kind == "transformer" ? " (its dropout is `dropout`)" : ""));
  if (config.global_pool && config.kind != "cnn") throw UsageError("--global-pool needs --model=cnn");
  const ActivationKind act = parse_activation(config.activation);
  Rng rng(seed);
  if (config.kind == "cnn") {
    add_conv_blocks(act, rng);
  } else if (text) {
    add_text_encoder(rng);
  } else if (config.kind != "mlp") {
    throw UsageError("unknown model '" + config.kind + "' (expected mlp, cnn, embeddingbag or transformer)");
  }
  if (config.global_pool) add(std::make_unique<GlobalAvgPool2d>());
  else if (!text) add(std::make_unique<Flatten>());
  for (std::size_t width : config.hidden) {
    if (width == 0) throw UsageError("--layers widths must be positive");
    add(std::make_unique<Dense>(m_shape[0], width, prefix(), rng));
    if (config.batch_norm) add(std::make_unique<BatchNorm>(width, false, prefix()));
    add(std::make_unique<Activation>(act));
    if (config.dense_dropout > 0.0f) add(std::make_unique<Dropout>(config.dense_dropout, mix_seed(seed, m_layers.size())));
  }
  add(std::make_unique<Dense>(m_shape[0], config.classes, prefix(), rng));
  m_acts.resize(m_layers.size() + 1);
  m_grads.resize(m_layers.size() + 1);
}

void Model::add(std::unique_ptr<Layer> layer) {
  m_shape = layer->output_shape(m_shape);
  if (m_first_trainable == SIZE_MAX && !layer->params().empty()) m_first_trainable = m_layers.size();
  m_layers.push_back(std::move(layer));
}

// One conv (+ BatchNorm) + 2x2 max-pool + activation block per --conv-channels
// entry. The pool comes before the activation: every activation kf has is
// non-decreasing, so f(max(a, b)) = max(f(a), f(b)) and the gradients agree
// too (the same element wins), which makes this the same model as
// PyTorch's usual conv-ReLU-pool, with the activation on a quarter of the
// elements (its backward pass was a tenth of a CNN step).
void Model::add_conv_blocks(ActivationKind act, Rng& rng) {
  const ModelConfig& c = m_config;
  if (c.kernel_size % 2 == 0) throw UsageError("--kernel-size must be odd, got " + std::to_string(c.kernel_size));
  if (c.conv_channels.empty()) throw UsageError("--conv-channels must name at least one layer for --model=cnn");
  for (std::size_t filters : c.conv_channels) {
    if (m_shape[1] < 2 || m_shape[2] < 2)
      throw UsageError("--conv-channels has too many blocks for a " + std::to_string(c.input[1]) + "x" +
                       std::to_string(c.input[2]) + " input (each block halves the image)");
    add(std::make_unique<Conv2d>(m_shape[0], m_shape[1], m_shape[2], filters, c.kernel_size, prefix(), rng,
                                 !c.batch_norm));
    if (c.batch_norm) add(std::make_unique<BatchNorm>(filters, true, prefix()));
    add(std::make_unique<MaxPool2d>());
    add(std::make_unique<Activation>(act));
  }
}

void Model::add_text_encoder(Rng& rng) {
  const ModelConfig& c = m_config;
  if (c.kind == "embeddingbag") {
    if (c.embedding_dim == 0) throw UsageError("--embedding-dim must be positive");
    add(std::make_unique<EmbeddingBag>(c.vocab_rows, c.embedding_dim, c.input[0], prefix(), rng));
    return;
  }
  TransformerConfig tc;
  tc.rows = c.vocab_rows;
  if (c.hash_slots >= c.input[0]) throw UsageError("the transformer needs token slots before the hashed features");
  tc.positions = c.input[0] - c.hash_slots;
  tc.hash_slots = c.hash_slots;
  tc.dim = c.embedding_dim;
  tc.heads = c.heads;
  tc.layers = c.encoder_layers;
  tc.ffn = c.ffn_dim;
  tc.dropout = c.dropout;
  tc.pooling = c.pooling;
  add(std::make_unique<TransformerEncoder>(tc, prefix() + ".encoder", rng));
}

const Tensor& Model::forward(const Tensor& x) {
  m_input = &x; // not copied: backward() reads it in place
  for (std::size_t i = 0; i < m_layers.size(); ++i) m_layers[i]->forward(input_of(i), m_acts[i + 1]);
  return m_acts.back();
}

void Model::backward(const Tensor& dlogits, const GradsReady& ready) {
  if (m_frozen) throw Error("a model frozen for inference cannot train");
  m_grads.back() = dlogits;
  for (std::size_t i = m_layers.size(); i-- > 0;) {
    if (i >= m_first_trainable) // nothing below it learns
      m_layers[i]->backward(input_of(i), m_acts[i + 1], m_grads[i + 1], i == m_first_trainable ? nullptr : &m_grads[i]);
    if (ready) ready(i);
  }
}

void Model::set_training(bool training) {
  for (auto& layer : m_layers) layer->set_training(training);
}

void Model::synchronise(const Layer::CrossRankSum& sum) {
  for (auto& layer : m_layers) layer->synchronise(sum);
}

void Model::freeze() {
  set_training(false);
  for (auto& layer : m_layers) layer->freeze();
  for (Param* p : state()) std::vector<float>().swap(p->grad);
  m_frozen = true;
}

LossResult Model::train_batch(const Tensor& x, const std::vector<std::uint8_t>& labels, float grad_scale,
                              const GradsReady& ready) {
  set_training(true);
  const Tensor& logits = forward(x);
  set_training(false);
  LossResult r = softmax_cross_entropy(logits, labels, grad_scale, &m_dlogits, m_config.label_smoothing);
  backward(m_dlogits, ready);
  return r;
}

LossResult Model::evaluate(const Tensor& x, const std::vector<std::uint8_t>& labels) {
  return softmax_cross_entropy(forward(x), labels, 0.0f, nullptr);
}

std::vector<Param*> Model::params() {
  std::vector<Param*> out;
  for (auto& layer : m_layers)
    for (Param* p : layer->params()) out.push_back(p);
  return out;
}

std::vector<Param*> Model::buffers() {
  std::vector<Param*> out;
  for (auto& layer : m_layers)
    for (Param* p : layer->buffers()) out.push_back(p);
  return out;
}

std::vector<Param*> Model::state() {
  std::vector<Param*> out = params();
  for (Param* p : buffers()) out.push_back(p);
  return out;
}

std::size_t Model::parameter_count() const {
  std::size_t n = 0;
  for (const auto& layer : m_layers)
    for (const Param* p : layer->params()) n += p->value.size();
  return n;
}

nlohmann::json Model::config_json() const {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : m_layers) layers.push_back(layer->config());
  nlohmann::json c = {{"kind", m_config.kind},
          {"input_shape", m_config.input},
          {"num_classes", m_config.classes},
          {"activation", m_config.activation},
          {"hidden", m_config.hidden},
          {"conv_channels", m_config.kind == "cnn" ? nlohmann::json(m_config.conv_channels) : nlohmann::json::array()},
          {"kernel_size", m_config.kernel_size},
          {"vocab_rows", m_config.vocab_rows},
          {"embedding_dim", m_config.embedding_dim},
          {"hash_slots", m_config.hash_slots},
          {"heads", m_config.heads},
          {"encoder_layers", m_config.encoder_layers},
          {"ffn_dim", m_config.ffn_dim},
          {"dropout", m_config.dropout},
          {"pooling", m_config.pooling},
          {"layers", layers}};
  // Written only when set, so models and checkpoints from before these options read the same.
  if (m_config.batch_norm) c["batch_norm"] = true;
  if (m_config.global_pool) c["global_pool"] = true;
  if (m_config.dense_dropout > 0.0f) c["dense_dropout"] = m_config.dense_dropout;
  return c;
}

double Model::flops_per_sample() const {
  double f = 0.0;
  for (const auto& layer : m_layers) f += layer->flops_per_sample();
  return f;
}

} // namespace kf::trainer
