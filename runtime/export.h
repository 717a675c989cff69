#pragma once
// The exported model: OUTPUT/model.safetensors (parameters, named as in
// model.json's layer entries, PyTorch shapes) and OUTPUT/model.json, which
// describes the architecture and the input so a model server can rebuild
// the network: {"format": "kf-trainer-model/1", "model": {...layers...},
// "input": {"shape": [C,H,W], "scale": 1/255, ...}, "data": {...},
// "training": {...}, "metrics": {...}}.

#include "runtime/model.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace kf::trainer {

// Writes both files atomically. `extra` is merged into model.json.
void export_model(const std::string& dir, Model& model, const nlohmann::json& extra);

struct LoadedModel {
  std::unique_ptr<Model> model;
  nlohmann::json info; // model.json
};

// Rebuilds the model from model.json and loads model.safetensors.
LoadedModel load_exported_model(const std::string& dir); // throws Error
ModelConfig model_config_from_json(const nlohmann::json& model);

} // namespace kf::trainer
