#pragma once
// The training loop and the evaluation of an exported model: what
// kf-trainer runs after parsing its flags. Both return the exit code and
// throw trainer::Error on failure.

#include "runtime/options.h"
#include "runtime/world.h"

namespace kf::trainer {

int run_training(const TrainerOptions& options, const WorldInfo& world);
// --evaluate DIR: loads DIR/model.json + model.safetensors and prints
// "loss=... accuracy=..." for the test split of --data (default: the data
// recorded in model.json).
int run_evaluation(const TrainerOptions& options);

} // namespace kf::trainer
