// Checkpoint encoding (safetensors + metadata + CRC) and the on-disk layout.
#include "runtime/checkpoint.h"

#include "runtime/error.h"
#include "runtime/safetensors.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <filesystem>

namespace fs = std::filesystem;

namespace kf::trainer {
namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string meta(const SafetensorsFile& f, const std::string& key, const std::string& what) {
  auto it = f.metadata.find(key);
  if (it == f.metadata.end()) throw Error(what + " is not a kf-trainer checkpoint (no '" + key + "' in its metadata)");
  return it->second;
}

std::uint32_t crc_of(const std::vector<TensorView>& views) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const auto& v : views)
    crc = crc32(crc, reinterpret_cast<const Bytef*>(v.data->data()), static_cast<uInt>(v.data->size() * sizeof(float)));
  return static_cast<std::uint32_t>(crc);
}

} // namespace

std::string encode_checkpoint(Model& model, Optimizer& optimizer, const TrainProgress& p) {
  std::vector<TensorView> views;
  for (Param* param : model.state()) views.push_back({param->name, param->shape, &param->value});
  for (const auto& slot : optimizer.state()) views.push_back({slot.name, {slot.data->size()}, slot.data});
  std::map<std::string, std::string> m = {
      {"format", "kf-trainer-checkpoint/1"},
      {"model", model.config_json().dump()},
      {"optimizer", optimizer.config().kind},
      {"optimizer_steps", std::to_string(optimizer.steps())},
      {"global_step", std::to_string(p.global_step)},
      {"epoch", std::to_string(p.epoch)},
      {"step_in_epoch", std::to_string(p.step_in_epoch)},
      {"loss_sum", num(p.loss_sum)},
      {"correct", num(p.correct)},
      {"samples", num(p.samples)},
      {"crc32", std::to_string(crc_of(views))},
  };
  return encode_safetensors(views, m);
}

TrainProgress decode_checkpoint(std::string_view bytes, const std::string& what, Model& model, Optimizer& optimizer,
                                bool any_optimizer) {
  SafetensorsFile f = decode_safetensors(bytes, what);
  if (meta(f, "format", what) != "kf-trainer-checkpoint/1") throw Error(what + " has an unknown checkpoint format");
  if (meta(f, "model", what) != model.config_json().dump())
    throw Error(what + " was written for a different model architecture; use --no-resume or another --output");
  const std::string written = meta(f, "optimizer", what);
  std::optional<Optimizer> other; // the checkpoint's own optimizer, to read (and check) its state into
  if (written != optimizer.config().kind) {
    if (!any_optimizer || (written != "sgd" && written != "adam" && written != "adamw"))
      throw Error(what + " was written with --optimizer=" + written + "; use --no-resume or another --output");
    OptimizerConfig c = optimizer.config();
    c.kind = written;
    other.emplace(c, model.params());
  }
  Optimizer& into = other ? *other : optimizer;
  std::vector<TensorView> views;
  auto restore = [&](const std::string& name, std::vector<float>& dst) {
    auto it = f.tensors.find(name);
    if (it == f.tensors.end() || it->second.data.size() != dst.size())
      throw Error(what + " lacks tensor " + name + " or it has the wrong size");
    dst = it->second.data;
    views.push_back({name, {}, &dst});
  };
  for (Param* param : model.state()) restore(param->name, param->value);
  for (const auto& slot : into.state()) restore(slot.name, *slot.data);
  if (std::to_string(crc_of(views)) != meta(f, "crc32", what))
    throw Error(what + " is corrupt: CRC-32 of its tensor data does not match");
  try {
    into.set_steps(std::stoull(meta(f, "optimizer_steps", what)));
    TrainProgress p;
    if (other) p.other_optimizer = written;
    p.global_step = std::stoull(meta(f, "global_step", what));
    p.epoch = std::stoull(meta(f, "epoch", what));
    p.step_in_epoch = std::stoull(meta(f, "step_in_epoch", what));
    p.loss_sum = std::stod(meta(f, "loss_sum", what));
    p.correct = std::stod(meta(f, "correct", what));
    p.samples = std::stod(meta(f, "samples", what));
    return p;
  } catch (const std::logic_error&) {
    throw Error(what + " has a malformed progress record in its metadata");
  }
}

void save_checkpoint(const std::string& output_dir, std::string_view bytes, std::uint64_t step) {
  const fs::path dir = fs::path(output_dir) / "checkpoints";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  const std::string name = "ckpt-" + std::to_string(step) + ".safetensors";
  write_file_atomic((dir / name).string(), bytes);
  write_file_atomic((dir / "latest").string(), name + "\n");
  // Keep the two newest.
  std::vector<std::pair<std::uint64_t, fs::path>> all;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (f.starts_with("ckpt-") && f.ends_with(".safetensors")) {
      try {
        all.emplace_back(std::stoull(f.substr(5)), e.path());
      } catch (const std::logic_error&) {
      }
    }
  }
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i + 2 < all.size(); ++i) fs::remove(all[i].second, ec);
}

std::optional<std::string> latest_checkpoint(const std::string& output_dir) {
  const fs::path dir = fs::path(output_dir) / "checkpoints";
  const fs::path latest = dir / "latest";
  if (!fs::exists(latest)) return std::nullopt;
  std::string name = read_file(latest.string());
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  if (name.empty() || name.find('/') != std::string::npos) throw Error(latest.string() + " is corrupt");
  const fs::path path = dir / name;
  if (!fs::exists(path)) throw Error(latest.string() + " names " + name + ", which does not exist");
  return path.string();
}

} // namespace kf::trainer
