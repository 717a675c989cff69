// kf-trainer: parses flags and the rendezvous environment, runs, and maps
// the error family to exit codes (once).
#include "runtime/cli.h"
#include "runtime/error.h"
#include "runtime/program.h"
#include "runtime/trainer.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  using namespace kf::trainer;
  // A peer that dies mid-write must surface as an error, not kill us silently.
  std::signal(SIGPIPE, SIG_IGN);
  TrainerOptions options;
  CliExtras extras;
  CLI::App app{"kf-trainer: data-parallel training of image (MLP, CNN) and text (transformer, embedding bag)\n"
               "classifiers on CPUs (OpenBLAS, Gloo) or GPUs (CUDA, cuBLAS, NCCL), with Kubeflow's rendezvous,\n"
               "Katib metrics, checkpoints and safetensors export.",
               "kf-trainer"};
  add_trainer_flags(app, options, extras);
  return run_program(app, argc, argv, [&] {
    finish_options(options, extras);
    if (!options.evaluate.empty()) return run_evaluation(options);
    const WorldInfo world = world_from_env([](const char* name) { return std::getenv(name); });
    if (!world.participates) {
      std::fprintf(stderr, "kf-trainer: TF_CONFIG task %s does not train (all-reduce needs no evaluator); exiting\n",
                   world.role.c_str());
      return 0;
    }
    return run_training(options, world);
  });
}
