#pragma once
// Checkpoints: the model's parameters, the optimizer's state and the
// position in training, in one safetensors file with a CRC-32 of the
// tensor data in its metadata. Files are OUTPUT/checkpoints/ckpt-<step>
// .safetensors, written atomically, and OUTPUT/checkpoints/latest names
// the newest (also replaced atomically); the two newest are kept.
// Rank 0 reads and writes them; other ranks get the bytes by broadcast.

#include "runtime/model.h"
#include "runtime/optimizer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kf::trainer {

struct TrainProgress {
  std::uint64_t global_step = 0;   // optimizer steps taken
  std::uint64_t epoch = 0;         // 0-based epoch in progress
  std::uint64_t step_in_epoch = 0; // steps done within it
  double loss_sum = 0.0;           // this epoch so far, this rank
  double correct = 0.0;
  double samples = 0.0;
  // decode_checkpoint: the checkpoint's --optimizer when it was not this
  // run's and its state was left behind ("" when it was the same).
  std::string other_optimizer;
};

std::string encode_checkpoint(Model& model, Optimizer& optimizer, const TrainProgress& progress);
// Restores model, optimizer and progress. Throws Error when the bytes are
// truncated or corrupt or were written for a different architecture, or
// with another --optimizer unless `any_optimizer` (population based
// training explores the optimizer too: the weights are kept, the optimizer
// starts fresh).
TrainProgress decode_checkpoint(std::string_view bytes, const std::string& what, Model& model, Optimizer& optimizer,
                                bool any_optimizer = false);

void save_checkpoint(const std::string& output_dir, std::string_view bytes, std::uint64_t step);
// The newest checkpoint's path, if any. Throws when "latest" names a missing file.
std::optional<std::string> latest_checkpoint(const std::string& output_dir);

} // namespace kf::trainer
