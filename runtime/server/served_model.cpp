// Loading an export for inference, replicas, and logits -> outputs.
#include "runtime/server/served_model.h"

#include "runtime/error.h"
#include "runtime/export.h"

#include <algorithm>
#include <cmath>

namespace kf::server {

void predict_from_logits(const float* logits, std::size_t n, std::size_t classes, Prediction& out) {
  out.n = n;
  out.probabilities.resize(n * classes);
  out.labels.resize(n);
  std::vector<double> p(classes);
  for (std::size_t i = 0; i < n; ++i) {
    const float* z = logits + i * classes;
    const float zmax = *std::max_element(z, z + classes);
    double sum = 0.0;
    std::size_t argmax = 0;
    for (std::size_t j = 0; j < classes; ++j) {
      p[j] = std::exp(static_cast<double>(z[j] - zmax));
      sum += p[j];
      if (z[j] > z[argmax]) argmax = j;
    }
    for (std::size_t j = 0; j < classes; ++j) out.probabilities[i * classes + j] = static_cast<float>(p[j] / sum);
    out.labels[i] = static_cast<std::int64_t>(argmax);
  }
}

namespace {

// model.json's input.scale, when a number, is what a pixel is multiplied by;
// the trainer's exports describe it in words ("pixel / 255 ..."): 255.
float uint8_divisor(const nlohmann::json& info) {
  if (info.contains("input") && info["input"].is_object()) {
    const nlohmann::json& input = info["input"];
    if (input.contains("scale") && input["scale"].is_number() && input["scale"].get<double>() > 0.0)
      return static_cast<float>(1.0 / input["scale"].get<double>());
  }
  return 255.0f;
}

} // namespace

ServedModel::ServedModel(const std::string& dir, std::size_t replicas) {
  trainer::LoadedModel loaded = trainer::load_exported_model(dir);
  m_info = std::move(loaded.info);
  const trainer::ModelConfig& config = loaded.model->config();
  m_signature.sample_shape = config.input;
  m_signature.classes = config.classes;
  m_signature.uint8_divisor = uint8_divisor(m_info);
  if (loaded.text) {
    m_signature.text = true;
    m_signature.labels = loaded.text->labels;
    m_text = loaded.text->encoder;
  }
  // Weights and BatchNorm's running statistics.
  std::vector<trainer::Param*> source = loaded.model->state();
  m_replicas.resize(std::max<std::size_t>(replicas, 1));
  for (std::size_t r = 1; r < m_replicas.size(); ++r) {
    m_replicas[r].model = std::make_unique<trainer::Model>(config, 0);
    std::vector<trainer::Param*> params = m_replicas[r].model->state();
    for (std::size_t i = 0; i < params.size(); ++i) params[i]->value = source[i]->value;
  }
  m_replicas[0].model = std::move(loaded.model);
  for (Replica& replica : m_replicas) replica.model->freeze(); // W^T kept, gradients freed
}

const std::vector<float>& ServedModel::forward(std::size_t replica, const float* x, std::size_t n) {
  Replica& r = m_replicas.at(replica);
  r.input.shape = {n};
  r.input.shape.insert(r.input.shape.end(), m_signature.sample_shape.begin(), m_signature.sample_shape.end());
  r.input.data.assign(x, x + n * m_signature.features());
  return r.model->forward(r.input).data;
}

} // namespace kf::server
