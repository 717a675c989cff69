// SGD with momentum, Adam, weight decay and the learning-rate schedules.
#include "runtime/optimizer.h"

#include "runtime/error.h"

#include <cmath>
#include <numbers>

namespace kf::trainer {

void validate(const OptimizerConfig& c) {
  if (c.kind != "sgd" && c.kind != "adam" && c.kind != "adamw")
    throw UsageError("unknown optimizer '" + c.kind + "' (expected sgd, adam or adamw)");
  if (!(c.lr > 0.0f) || !std::isfinite(c.lr)) throw UsageError("--lr must be a positive number");
  const auto fraction = [](float v) { return v >= 0.0f && v < 1.0f; }; // false for NaN too
  if (!fraction(c.momentum)) throw UsageError("--momentum must be in [0, 1)");
  // As torch.optim.Adam: beta1 = 1 divides by its bias correction 1 - beta1^t = 0.
  if (!fraction(c.beta1)) throw UsageError("--beta1 must be in [0, 1)");
  if (!fraction(c.beta2)) throw UsageError("--beta2 must be in [0, 1)");
  if (!(c.weight_decay >= 0.0f) || !std::isfinite(c.weight_decay))
    throw UsageError("--weight-decay must not be negative");
  if (!(c.gamma > 0.0f) || !std::isfinite(c.gamma)) throw UsageError("--lr-gamma must be a positive number");
  if (c.schedule != "constant" && c.schedule != "step" && c.schedule != "cosine")
    throw UsageError("unknown --lr-schedule '" + c.schedule + "' (expected constant, step or cosine)");
  if (c.step_epochs == 0) throw UsageError("--lr-step-epochs must be positive");
}

float learning_rate(const OptimizerConfig& c, std::uint64_t step, std::uint64_t steps_per_epoch,
                    std::uint64_t total_steps) {
  const std::uint64_t warmup = c.warmup_steps;
  if (step < warmup) return c.lr * static_cast<float>(step + 1) / static_cast<float>(warmup);
  if (c.schedule == "cosine" && total_steps > warmup) {
    const double t = static_cast<double>(step - warmup) / static_cast<double>(total_steps - warmup);
    return static_cast<float>(0.5 * static_cast<double>(c.lr) * (1.0 + std::cos(std::numbers::pi * t)));
  }
  if (c.schedule == "step") {
    const std::uint64_t epoch = steps_per_epoch == 0 ? 0 : step / steps_per_epoch;
    return c.lr * std::pow(c.gamma, static_cast<float>(epoch / c.step_epochs));
  }
  return c.lr;
}

Optimizer::Optimizer(const OptimizerConfig& config, std::vector<Param*> params)
    : m_config(config), m_params(std::move(params)) {
  for (Param* p : m_params) {
    m_m.emplace_back(p->value.size(), 0.0f);
    if (m_config.kind != "sgd") m_v.emplace_back(p->value.size(), 0.0f);
  }
}

namespace {

// Calls f(begin, end) over the element ranges of p a step updates: the
// touched rows of a row-sparse Param (lazy updates), else all of it.
template <typename F>
void for_updated(const Param& p, F&& f) {
  if (!p.sparse || p.all_touched) {
    f(std::size_t{0}, p.value.size());
    return;
  }
  const std::size_t w = p.row_width();
  for (std::uint32_t r : p.touched) f(r * w, (r + 1) * w);
}

struct AdamStep {
  float lr, b1, b2, c1, c2, eps, l2, shrink;
};

// The element loops, over pointers that do not alias, so the compiler
// vectorises them (sqrt too: kf_trainer_lib builds with -fno-math-errno).
void adam_update(float* __restrict value, const float* __restrict grad, float* __restrict m, float* __restrict v,
                 std::size_t n, const AdamStep& a) {
  const float inv_c1 = 1.0f / a.c1, inv_c2 = 1.0f / a.c2;
  for (std::size_t j = 0; j < n; ++j) {
    const float g = grad[j] + a.l2 * value[j];
    m[j] = a.b1 * m[j] + (1.0f - a.b1) * g;
    v[j] = a.b2 * v[j] + (1.0f - a.b2) * g * g;
    value[j] = value[j] * a.shrink - a.lr * (m[j] * inv_c1) / (std::sqrt(v[j] * inv_c2) + a.eps);
  }
}

void sgd_update(float* __restrict value, const float* __restrict grad, float* __restrict m, std::size_t n, float lr,
                float mu, float decay) {
  for (std::size_t j = 0; j < n; ++j) {
    const float g = grad[j] + decay * value[j];
    m[j] = mu * m[j] + g;
    value[j] -= lr * m[j];
  }
}

} // namespace

void Optimizer::step(float lr) {
  ++m_t;
  const float wd = m_config.weight_decay;
  if (m_config.kind != "sgd") {
    const bool decoupled = m_config.kind == "adamw";
    const float b1 = m_config.beta1, b2 = m_config.beta2, eps = m_config.eps;
    const float c1 = 1.0f - std::pow(b1, static_cast<float>(m_t));
    const float c2 = 1.0f - std::pow(b2, static_cast<float>(m_t));
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      Param& p = *m_params[i];
      const float decay = p.decay ? wd : 0.0f;
      const float l2 = decoupled ? 0.0f : decay;
      const float shrink = decoupled ? 1.0f - lr * decay : 1.0f;
      const AdamStep a{lr, b1, b2, c1, c2, eps, l2, shrink};
      for_updated(p, [&](std::size_t from, std::size_t to) {
        adam_update(p.value.data() + from, p.grad.data() + from, m_m[i].data() + from, m_v[i].data() + from,
                    to - from, a);
      });
    }
    return;
  }
  const float mu = m_config.momentum;
  for (std::size_t i = 0; i < m_params.size(); ++i) {
    Param& p = *m_params[i];
    const float decay = p.decay ? wd : 0.0f;
    for_updated(p, [&](std::size_t from, std::size_t to) {
      sgd_update(p.value.data() + from, p.grad.data() + from, m_m[i].data() + from, to - from, lr, mu, decay);
    });
  }
}

std::vector<Optimizer::Slot> Optimizer::state() {
  std::vector<Slot> out;
  for (std::size_t i = 0; i < m_params.size(); ++i) {
    out.push_back({"opt.m." + m_params[i]->name, &m_m[i]});
    if (!m_v.empty()) out.push_back({"opt.v." + m_params[i]->name, &m_v[i]});
  }
  return out;
}

} // namespace kf::trainer
