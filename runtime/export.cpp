// Exporting the trained model (safetensors + model.json) and loading it back.
#include "runtime/export.h"

#include "runtime/error.h"
#include "runtime/safetensors.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace kf::trainer {

void export_model(const std::string& dir, Model& model, const nlohmann::json& extra, const TextModel* text) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir + ": " + ec.message());
  if (text != nullptr) text->encoder->vocabulary().write((fs::path(dir) / "vocab.txt").string());
  std::vector<TensorView> views;
  for (Param* p : model.params()) views.push_back({p->name, p->shape, &p->value});
  write_file_atomic((fs::path(dir) / "model.safetensors").string(),
                    encode_safetensors(views, {{"format", "kf-trainer-model/1"}}));
  nlohmann::json info = {{"format", "kf-trainer-model/1"},
                         {"weights", "model.safetensors"},
                         {"model", model.config_json()},
                         {"input", {{"shape", model.config().input},
                                    {"dtype", "float32"},
                                    {"layout", "NCHW"},
                                    {"scale", "pixel / 255 (IDX) or / column max (CSV)"}}},
                         {"output", {{"num_classes", model.config().classes}, {"kind", "logits"}}}};
  if (text != nullptr) {
    info["input"] = {{"shape", model.config().input},
                     {"dtype", "int64"},
                     {"kind", "token ids"},
                     {"text", "BYTES inputs are tokenized as \"text\" describes"}};
    info["text"] = text->encoder->to_json();
    info["labels"] = text->labels;
  }
  if (extra.is_object()) info.update(extra);
  write_file_atomic((fs::path(dir) / "model.json").string(), info.dump(2) + "\n");
}

ModelConfig model_config_from_json(const nlohmann::json& m) {
  ModelConfig c;
  try {
    c.kind = m.at("kind").get<std::string>();
    c.hidden = m.at("hidden").get<std::vector<std::size_t>>();
    c.activation = m.at("activation").get<std::string>();
    c.conv_channels = m.at("conv_channels").get<std::vector<std::size_t>>();
    c.kernel_size = m.at("kernel_size").get<std::size_t>();
    c.input = m.at("input_shape").get<Shape>();
    c.classes = m.at("num_classes").get<std::size_t>();
    c.vocab_rows = m.value("vocab_rows", std::size_t{0});
    c.embedding_dim = m.value("embedding_dim", c.embedding_dim);
    c.hash_slots = m.value("hash_slots", c.hash_slots);
    c.heads = m.value("heads", c.heads);
    c.encoder_layers = m.value("encoder_layers", c.encoder_layers);
    c.ffn_dim = m.value("ffn_dim", c.ffn_dim);
    c.dropout = m.value("dropout", c.dropout);
    c.pooling = m.value("pooling", c.pooling);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("model.json: malformed \"model\" object: ") + e.what());
  }
  return c;
}

LoadedModel load_exported_model(const std::string& dir) {
  const std::string json_path = (fs::path(dir) / "model.json").string();
  LoadedModel out;
  try {
    out.info = nlohmann::json::parse(read_file(json_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(json_path + " is not valid JSON: " + e.what());
  }
  if (!out.info.contains("model")) throw Error(json_path + " has no \"model\" object");
  if (out.info.contains("text")) {
    TextModel text;
    text.encoder = std::make_shared<TextEncoder>(TextEncoder::load(out.info["text"], dir));
    try {
      text.labels = out.info.at("labels").get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      throw Error(json_path + ": a text model needs \"labels\", a list of class names: " + e.what());
    }
    out.text = std::move(text);
  }
  out.model = std::make_unique<Model>(model_config_from_json(out.info["model"]), 0);
  if (out.text) {
    const ModelConfig& c = out.model->config();
    if (out.text->labels.size() > c.classes)
      throw Error(json_path + ": " + std::to_string(out.text->labels.size()) + " labels for a model of " +
                  std::to_string(c.classes) + " classes");
    if (c.vocab_rows != out.text->encoder->rows() || c.input != Shape{out.text->encoder->features()})
      throw Error(json_path + ": the vocabulary and \"text\" settings do not match the model's embedding (" +
                  std::to_string(out.text->encoder->rows()) + " ids for a table of " + std::to_string(c.vocab_rows) +
                  " rows)");
  }
  const std::string st_path = (fs::path(dir) / "model.safetensors").string();
  const std::string bytes = read_file(st_path);
  SafetensorsFile f = decode_safetensors(bytes, st_path);
  for (Param* p : out.model->params()) {
    auto it = f.tensors.find(p->name);
    if (it == f.tensors.end()) throw Error(st_path + " has no tensor " + p->name);
    if (it->second.shape != p->shape) throw Error(st_path + ": tensor " + p->name + " has the wrong shape");
    p->value = it->second.data;
  }
  return out;
}

} // namespace kf::trainer
