#pragma once
// ServedModel: a kf-trainer export (DIR/model.json + DIR/model.safetensors,
// runtime/export.h) loaded for inference. It keeps one Model replica per
// executor thread, because a Model holds its activations between calls: a
// replica runs one batch at a time, replicas run in parallel. Replicas are
// frozen (Model::freeze: dense weights kept transposed, gradients freed);
// nothing but the forward pass is used.
// Thread-safety: forward() with distinct replica indices may run
// concurrently; everything else is read-only after construction.

#include "runtime/model.h"
#include "runtime/server/infer_request.h"
#include "runtime/text.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kf::server {

// The outputs of one request: softmax probabilities [n, classes] and the
// argmax of the logits [n] (the class kf-trainer's evaluation counts).
struct Prediction {
  std::size_t n = 0;
  std::vector<float> probabilities;
  std::vector<std::int64_t> labels;
};

// Fills `out` from logits [n, classes]: probabilities by softmax in double
// (as the trainer's loss computes them), labels by the first maximal logit.
void predict_from_logits(const float* logits, std::size_t n, std::size_t classes, Prediction& out);

class ServedModel {
public:
  // Loads the export; throws trainer::Error naming the file at fault.
  ServedModel(const std::string& dir, std::size_t replicas);

  const ModelSignature& signature() const { return m_signature; }
  // A text model's tokenizer (null for an image model).
  const trainer::TextEncoder* text() const { return m_text.get(); }
  const nlohmann::json& info() const { return m_info; } // model.json
  std::size_t replicas() const { return m_replicas.size(); }

  // Replica r over x [n, features] -> logits [n, classes] (valid until r's next call).
  const std::vector<float>& forward(std::size_t replica, const float* x, std::size_t n);

private:
  struct Replica {
    std::unique_ptr<trainer::Model> model;
    trainer::Tensor input;
  };
  ModelSignature m_signature;
  std::shared_ptr<const trainer::TextEncoder> m_text;
  nlohmann::json m_info;
  std::vector<Replica> m_replicas;
};

} // namespace kf::server
