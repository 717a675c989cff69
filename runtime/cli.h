#pragma once
// kf-trainer's command line: every TrainerOptions field as a flag, each
// with a KF_* environment variable (so Katib trial templates and operators
// can set hyperparameters either way; a flag wins over the variable).

#include "runtime/options.h"

#include <CLI/CLI.hpp>

namespace kf::trainer {

// Seconds-valued flags are parsed into these, then copied into options.
struct CliExtras {
  double rendezvous_timeout_s = 300.0;
  double collective_timeout_s = 600.0;
  std::string shm_allreduce = "auto"; // --shm-allreduce auto | off
  bool no_resume = false;
  bool quiet = false;
  bool no_lower_case = false;
  // Comma-separated lists, split by finish_options (CLI11's own delimiter
  // splitting trips GCC 12's -Wnull-dereference at -O2).
  std::string layers;     // "" = the model's default: 128,64 for images, none for text
  std::string conv_channels = "16,32";
  std::string dropout;    // "" = the model's default: 0.1 for the transformer, none for images
};

void add_trainer_flags(CLI::App& app, TrainerOptions& options, CliExtras& extras);
// Copies CliExtras into options after parsing; throws UsageError.
void finish_options(TrainerOptions& options, const CliExtras& extras);
// "128,64" -> {128, 64}; throws UsageError naming the flag.
std::vector<std::size_t> parse_size_list(const std::string& flag, const std::string& text);

} // namespace kf::trainer
