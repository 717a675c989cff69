#pragma once
// The exported model: OUTPUT/model.safetensors (parameters, named as in
// model.json's layer entries, PyTorch shapes) and OUTPUT/model.json, which
// describes the architecture and the input so a model server can rebuild
// the network: {"format": "kf-trainer-model/1", "model": {...layers...},
// "input": {"shape": [C,H,W], "scale": 1/255, ...}, "data": {...},
// "training": {...}, "metrics": {...}}. A text model adds "text" (the
// tokenizer settings, runtime/text.h), "labels" (class names) and
// OUTPUT/vocab.txt.

#include "runtime/model.h"
#include "runtime/text.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace kf::trainer {

// Writes the files atomically (vocab.txt first, model.json last). `extra`
// is merged into model.json; `text` is given for a text model.
void export_model(const std::string& dir, Model& model, const nlohmann::json& extra,
                  const TextModel* text = nullptr);

struct LoadedModel {
  std::unique_ptr<Model> model;
  nlohmann::json info;            // model.json
  std::optional<TextModel> text;  // a text model's encoder and class names
};

// Rebuilds the model from model.json and loads model.safetensors.
LoadedModel load_exported_model(const std::string& dir); // throws Error
ModelConfig model_config_from_json(const nlohmann::json& model);

} // namespace kf::trainer
