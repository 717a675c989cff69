#pragma once
// Optimizer: SGD with momentum, Adam or AdamW over a model's Params, with
// weight decay on weights only (not biases or LayerNorm): L2 (added to the
// gradient) for sgd and adam, decoupled (p -= lr * wd * p, Loshchilov &
// Hutter) for adamw; and a learning-rate schedule after a linear warm-up.
// Holds pointers to the Params, which the Model owns and must outlive it.
// Its state (momentum / Adam moments, step count) is part of a checkpoint.

#include "runtime/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kf::trainer {

struct OptimizerConfig {
  std::string kind = "sgd";          // sgd | adam | adamw
  float lr = 0.05f;                  // base learning rate
  float momentum = 0.9f;             // SGD momentum (0 = plain SGD)
  float weight_decay = 0.0f;         // L2 coefficient, weights only
  float beta1 = 0.9f;                // Adam
  float beta2 = 0.999f;              // Adam
  float eps = 1e-8f;                 // Adam
  std::string schedule = "constant"; // constant | step | cosine
  std::size_t step_epochs = 2;       // schedule=step: decay every this many epochs
  float gamma = 0.5f;                // schedule=step: multiply by this
  std::size_t warmup_steps = 0;      // linear warm-up from 0, then the schedule over the rest
};

void validate(const OptimizerConfig& config); // throws UsageError

// Learning rate for a (0-based) global step.
float learning_rate(const OptimizerConfig& config, std::uint64_t step, std::uint64_t steps_per_epoch,
                    std::uint64_t total_steps);

class Optimizer {
public:
  Optimizer(const OptimizerConfig& config, std::vector<Param*> params);

  // Applies one update from the Params' current gradients.
  void step(float lr);

  std::uint64_t steps() const { return m_t; }
  void set_steps(std::uint64_t t) { m_t = t; }
  // Named state tensors for checkpoints: "opt.m.<param>" (and "opt.v.<param>" for Adam).
  struct Slot {
    std::string name;
    std::vector<float>* data;
  };
  std::vector<Slot> state();
  const OptimizerConfig& config() const { return m_config; }

private:
  OptimizerConfig m_config;
  std::vector<Param*> m_params;
  std::vector<std::vector<float>> m_m;
  std::vector<std::vector<float>> m_v;
  std::uint64_t m_t = 0;
};

} // namespace kf::trainer
