// safetensors layout and round trip; checkpoints round trip and refuse
// truncated, corrupt or mismatched files with pinned messages.
#include "tests/runtime/unit/support.h"
#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/export.h"
#include "runtime/safetensors.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

using namespace kf::trainer;
namespace fs = std::filesystem;

namespace {

using test::error_of;

fs::path temp_dir(const std::string& name) { return test::temp_dir("unit", name); }

ModelConfig small_cnn() {
  ModelConfig c;
  c.kind = "cnn";
  c.conv_channels = {2};
  c.hidden = {5};
  c.input = {1, 4, 4};
  c.classes = 3;
  return c;
}

} // namespace

TEST_CASE("safetensors: byte layout follows the format") {
  const std::vector<float> a = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, b = {-1.5f};
  const std::string bytes = encode_safetensors({{"a", {2, 3}, &a}, {"b", {1}, &b}}, {{"k", "v"}});
  std::uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  CHECK(len % 8 == 0);
  CHECK(bytes.size() == 8 + len + 7 * sizeof(float));
  const auto header = nlohmann::json::parse(bytes.substr(8, len));
  CHECK(header["a"]["dtype"] == "F32");
  CHECK(header["a"]["shape"] == nlohmann::json({2, 3}));
  CHECK(header["a"]["data_offsets"] == nlohmann::json({0, 24}));
  CHECK(header["b"]["data_offsets"] == nlohmann::json({24, 28}));
  CHECK(header["__metadata__"]["k"] == "v");
  float first = 0.0f;
  std::memcpy(&first, bytes.data() + 8 + len, 4);
  CHECK(first == 1.0f);
}

TEST_CASE("safetensors: round trip, and pinned errors for truncated files") {
  const std::vector<float> a = {0.25f, -7.0f, 3.5f};
  const std::string bytes = encode_safetensors({{"w", {3}, &a}}, {});
  const SafetensorsFile f = decode_safetensors(bytes, "t.safetensors");
  CHECK(f.tensors.at("w").data == a);
  CHECK(f.tensors.at("w").shape == Shape{3});
  CHECK_THROWS_WITH(decode_safetensors(bytes.substr(0, bytes.size() - 4), "t.safetensors"),
                    "t.safetensors is truncated: the header promises 12 bytes of tensor data, the file has 8");
  CHECK_THROWS_WITH(decode_safetensors(bytes.substr(0, 20), "t.safetensors"),
                    doctest::Contains("t.safetensors is truncated: the header needs"));
  CHECK_THROWS_WITH(decode_safetensors("abc", "t.safetensors"), "t.safetensors is truncated: 3 bytes, no header");
}

TEST_CASE("export: model.safetensors + model.json load back into the same model") {
  const fs::path dir = temp_dir("export");
  Model model(small_cnn(), 5);
  export_model(dir.string(), model, {{"metrics", {{"accuracy", 0.5}}}});
  LoadedModel loaded = load_exported_model(dir.string());
  CHECK(loaded.info["format"] == "kf-trainer-model/1");
  CHECK(loaded.info["model"]["layers"][0]["type"] == "conv2d");
  CHECK(loaded.info["model"]["layers"][0]["weight"] == "layers.0.weight");
  const auto a = model.params(), b = loaded.model->params();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i]->value == b[i]->value);
  fs::remove_all(dir);
}

TEST_CASE("export: model.json from outside - sizes are whole numbers a model can have, or a pinned error") {
  const fs::path dir = temp_dir("export-bad");
  Model model(small_cnn(), 5);
  export_model(dir.string(), model, {});
  const nlohmann::json good = load_exported_model(dir.string()).info["model"];
  CHECK(model_config_from_json(good).classes == model.config().classes);
  const auto with = [&](const std::string& key, const nlohmann::json& v) {
    nlohmann::json m = good;
    m[key] = v;
    return error_of([&] { model_config_from_json(m); });
  };
  // The fuzzer's find: 1e30 cast to an integer is undefined behaviour.
  CHECK(with("num_classes", 1e30) == "model.json: \"model\".num_classes must be a whole number from 0 to 16777216, got 1e+30");
  CHECK(with("kernel_size", -1) == "model.json: \"model\".kernel_size must be a whole number from 0 to 16777216, got -1");
  CHECK(with("hidden", nlohmann::json::array({8, 2.5})) ==
        "model.json: \"model\".hidden[1] must be a whole number from 0 to 16777216, got 2.5");
  CHECK(with("input_shape", "1x8x8") == "model.json: \"model\".input_shape must be an array");
  CHECK(with("dropout", 1e300) == "model.json: \"model\".dropout must be in [0, 1)");
  CHECK(with("kind", 3).rfind("model.json: malformed \"model\" object: ", 0) == 0);
  nlohmann::json no_classes = good;
  no_classes.erase("num_classes");
  CHECK(error_of([&] { model_config_from_json(no_classes); }) == "model.json: \"model\" has no \"num_classes\"");
  CHECK(error_of([&] { model_config_from_json(nlohmann::json::array()); }) == "model.json: \"model\" must be an object");
  // Sizes in range whose layers would need terabytes (or whose product
  // overflows) are refused before anything is allocated: the model may hold
  // no more than model.safetensors does.
  for (const auto& hidden : {nlohmann::json::array({16777216, 16777216}), nlohmann::json::array({4096})}) {
    CAPTURE(hidden.dump());
    nlohmann::json info = nlohmann::json::parse(read_file((dir / "model.json").string()));
    info["model"]["hidden"] = hidden;
    write_file_atomic((dir / "model.json").string(), info.dump());
    std::size_t weights = 0;
    const std::string st = (dir / "model.safetensors").string();
    for (const auto& [name, t] : decode_safetensors(read_file(st), st).tensors) weights += t.data.size();
    const std::string held = std::to_string(weights);
    CHECK(error_of([&] { load_exported_model(dir.string()); }) ==
          (dir / "model.json").string() + " describes a model larger than the " + held + " weights in " +
              (dir / "model.safetensors").string());
  }
  fs::remove_all(dir);
}

TEST_CASE("checkpoint: round trip restores weights, optimizer state and progress") {
  Model model(small_cnn(), 1);
  OptimizerConfig oc;
  oc.kind = "adam";
  Optimizer opt(oc, model.params());
  for (Param* p : model.params())
    for (float& g : p->grad) g = 0.1f;
  opt.step(0.01f);
  TrainProgress p{17, 2, 5, 1.25, 30.0, 40.0, {}};
  const std::string bytes = encode_checkpoint(model, opt, p);

  Model other(small_cnn(), 2);
  Optimizer other_opt(oc, other.params());
  const TrainProgress q = decode_checkpoint(bytes, "ckpt", other, other_opt);
  CHECK(q.global_step == 17);
  CHECK(q.epoch == 2);
  CHECK(q.step_in_epoch == 5);
  CHECK(q.loss_sum == 1.25);
  CHECK(other_opt.steps() == 1);
  for (std::size_t i = 0; i < model.params().size(); ++i) CHECK(model.params()[i]->value == other.params()[i]->value);
  CHECK(*opt.state()[1].data == *other_opt.state()[1].data);

  SUBCASE("truncated") {
    CHECK_THROWS_WITH(decode_checkpoint(bytes.substr(0, bytes.size() - 10), "checkpoint c", other, other_opt),
                      doctest::Contains("checkpoint c is truncated: the header promises"));
  }
  SUBCASE("a flipped bit in the data") {
    std::string bad = bytes;
    bad[bad.size() - 3] = static_cast<char>(bad[bad.size() - 3] ^ 0x10);
    CHECK_THROWS_WITH(decode_checkpoint(bad, "checkpoint c", other, other_opt),
                      "checkpoint c is corrupt: CRC-32 of its tensor data does not match");
  }
  SUBCASE("another architecture") {
    ModelConfig c = small_cnn();
    c.hidden = {6};
    Model wider(c, 1);
    Optimizer wider_opt(oc, wider.params());
    CHECK_THROWS_WITH(decode_checkpoint(bytes, "checkpoint c", wider, wider_opt),
                      "checkpoint c was written for a different model architecture; use --no-resume or another --output");
  }
  SUBCASE("another optimizer: refused, unless any optimizer will do (pbt), which keeps the weights") {
    OptimizerConfig sgd;
    sgd.kind = "sgd";
    Optimizer sgd_opt(sgd, other.params());
    CHECK_THROWS_WITH(decode_checkpoint(bytes, "checkpoint c", other, sgd_opt),
                      "checkpoint c was written with --optimizer=adam; use --no-resume or another --output");
    Model fresh(small_cnn(), 3);
    Optimizer fresh_sgd(sgd, fresh.params());
    const TrainProgress r = decode_checkpoint(bytes, "checkpoint c", fresh, fresh_sgd, true);
    CHECK(r.other_optimizer == "adam");
    CHECK(r.global_step == 17);
    CHECK(fresh_sgd.steps() == 0);
    for (const auto& slot : fresh_sgd.state())
      CHECK(std::all_of(slot.data->begin(), slot.data->end(), [](float v) { return v == 0.0f; }));
    for (std::size_t i = 0; i < model.params().size(); ++i) CHECK(model.params()[i]->value == fresh.params()[i]->value);
    std::string bad = bytes;
    bad[bad.size() - 3] = static_cast<char>(bad[bad.size() - 3] ^ 0x10);
    CHECK_THROWS_WITH(decode_checkpoint(bad, "checkpoint c", fresh, fresh_sgd, true),
                      "checkpoint c is corrupt: CRC-32 of its tensor data does not match");
  }
}

TEST_CASE("checkpoint files: atomic save, latest, keep two") {
  const fs::path dir = temp_dir("ckpt");
  CHECK_FALSE(latest_checkpoint(dir.string()).has_value());
  for (std::uint64_t step : {10, 20, 30}) save_checkpoint(dir.string(), "x" + std::to_string(step), step);
  CHECK(latest_checkpoint(dir.string()).value() == (dir / "checkpoints" / "ckpt-30.safetensors").string());
  CHECK_FALSE(fs::exists(dir / "checkpoints" / "ckpt-10.safetensors"));
  CHECK(fs::exists(dir / "checkpoints" / "ckpt-20.safetensors"));
  for (const auto& e : fs::directory_iterator(dir / "checkpoints"))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  fs::remove(dir / "checkpoints" / "ckpt-30.safetensors");
  CHECK(error_of([&] { latest_checkpoint(dir.string()); }) ==
        (dir / "checkpoints" / "latest").string() + " names ckpt-30.safetensors, which does not exist");
  fs::remove_all(dir);
}
