// Exporting the trained model (safetensors + model.json) and loading it back.
#include "runtime/export.h"

#include "runtime/error.h"
#include "runtime/safetensors.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace kf::trainer {

void export_model(const std::string& dir, Model& model, const nlohmann::json& extra, const TextModel* text) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir + ": " + ec.message());
  if (text != nullptr) text->encoder->vocabulary().write((fs::path(dir) / "vocab.txt").string());
  std::vector<TensorView> views;
  for (Param* p : model.state()) views.push_back({p->name, p->shape, &p->value});
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

namespace {

// model.json comes from outside (kf-server loads whatever directory it is
// given): sizes must be whole numbers a model can have, not whatever a
// cast of 1e30 or -1 gives (that is undefined, or a wrap to 2^64).
constexpr std::size_t k_max_size = std::size_t{1} << 24;

std::size_t size_at(const nlohmann::json& v, const std::string& key) {
  const bool whole = v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
  if (!whole || v.get<std::uint64_t>() > k_max_size)
    throw Error("model.json: \"model\"." + key + " must be a whole number from 0 to " + std::to_string(k_max_size) +
                ", got " + v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return v.get<std::size_t>();
}

std::size_t size_of(const nlohmann::json& m, const std::string& key, std::optional<std::size_t> fallback = {}) {
  if (!m.contains(key)) {
    if (fallback) return *fallback;
    throw Error("model.json: \"model\" has no \"" + key + "\"");
  }
  return size_at(m[key], key);
}

std::vector<std::size_t> sizes_of(const nlohmann::json& m, const std::string& key) {
  if (!m.contains(key) || !m[key].is_array()) throw Error("model.json: \"model\"." + key + " must be an array");
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < m[key].size(); ++i) out.push_back(size_at(m[key][i], key + "[" + std::to_string(i) + "]"));
  return out;
}

} // namespace

ModelConfig model_config_from_json(const nlohmann::json& m) {
  if (!m.is_object()) throw Error("model.json: \"model\" must be an object");
  ModelConfig c;
  try {
    c.kind = m.at("kind").get<std::string>();
    c.activation = m.at("activation").get<std::string>();
    c.pooling = m.value("pooling", c.pooling);
    const double dropout = m.value("dropout", static_cast<double>(c.dropout));
    if (!(dropout >= 0.0 && dropout < 1.0)) throw Error("model.json: \"model\".dropout must be in [0, 1)");
    c.dropout = static_cast<float>(dropout);
    c.batch_norm = m.value("batch_norm", false);
    c.global_pool = m.value("global_pool", false);
    const double dense_dropout = m.value("dense_dropout", 0.0);
    if (!(dense_dropout >= 0.0 && dense_dropout < 1.0))
      throw Error("model.json: \"model\".dense_dropout must be in [0, 1)");
    c.dense_dropout = static_cast<float>(dense_dropout);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("model.json: malformed \"model\" object: ") + e.what());
  }
  c.hidden = sizes_of(m, "hidden");
  c.conv_channels = sizes_of(m, "conv_channels");
  c.kernel_size = size_of(m, "kernel_size");
  c.input = sizes_of(m, "input_shape");
  c.classes = size_of(m, "num_classes");
  c.vocab_rows = size_of(m, "vocab_rows", std::size_t{0});
  c.embedding_dim = size_of(m, "embedding_dim", c.embedding_dim);
  c.hash_slots = size_of(m, "hash_slots", c.hash_slots);
  c.heads = size_of(m, "heads", c.heads);
  c.encoder_layers = size_of(m, "encoder_layers", c.encoder_layers);
  c.ffn_dim = size_of(m, "ffn_dim", c.ffn_dim);
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
  // The weights first: the model model.json describes may hold no more than they do.
  const std::string st_path = (fs::path(dir) / "model.safetensors").string();
  const std::string bytes = read_file(st_path);
  SafetensorsFile f = decode_safetensors(bytes, st_path);
  std::size_t held = 0;
  for (const auto& [name, t] : f.tensors) held += t.data.size();
  {
    const ParamBudget budget(held, json_path + " describes a model larger than the " + std::to_string(held) +
                                       " weights in " + st_path);
    out.model = std::make_unique<Model>(model_config_from_json(out.info["model"]), 0);
  }
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
  for (Param* p : out.model->state()) {
    auto it = f.tensors.find(p->name);
    if (it == f.tensors.end()) throw Error(st_path + " has no tensor " + p->name);
    if (it->second.shape != p->shape) throw Error(st_path + ": tensor " + p->name + " has the wrong shape");
    p->value = it->second.data;
  }
  return out;
}

} // namespace kf::trainer
