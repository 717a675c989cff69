// The CPU engine: the host Model, and the gradient all-reduce over a flat
// buffer holding every gradient plus the batch's loss and accuracy (none
// for one rank). With overlap the buffer goes out in buckets while
// backward runs (overlap.h), so communication hides behind computation
// when a core is free for it; without, in one all-reduce after backward.
// After a multi-rank all-reduce a row-sparse gradient holds every rank's
// rows, so the optimizer updates all of them.
#include "runtime/engine.h"

#include "runtime/overlap.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>

namespace kf::trainer {
namespace {

// Floats per bucket: a few buckets for kf's models, each large enough that
// a message's latency does not dominate (PyTorch DDP's first bucket is 1 MiB).
constexpr std::size_t k_bucket_floats = 64 * 1024;

class CpuEngine : public Engine {
public:
  CpuEngine(Model& model, Optimizer& optimizer, Communicator& comm, bool overlap)
      : m_model(model), m_optimizer(optimizer), m_comm(comm), m_params(model.params()) {
    std::size_t n = 0;
    std::vector<std::size_t> layer_floats;
    for (auto& layer : model.layers()) {
      m_layer_offset.push_back(n);
      m_layer_params.push_back(layer->params());
      std::size_t floats = 0;
      for (const Param* p : m_layer_params.back()) floats += p->grad.size();
      layer_floats.push_back(floats);
      n += floats;
    }
    if (overlap && comm.size() > 1) {
      m_buckets = plan_buckets(layer_floats, k_bucket_floats);
      m_async.emplace(comm);
    }
    if (comm.size() > 1) // the communicator's: its buckets, or the whole of it, may go without a copy
      m_flat = std::span<float>(comm.allreduce_buffer(n + 2), n + 2);
  }

  LossResult train_step(const Tensor& x, const std::vector<std::uint8_t>& labels, float grad_scale,
                        float lr) override {
    if (m_comm.size() == 1) { // the sum over one rank is its own gradient
      const LossResult local = m_model.train_batch(x, labels, grad_scale);
      m_optimizer.step(lr);
      return local;
    }
    std::size_t next = 0; // the next bucket to send (none without overlap)
    const LossResult local = m_model.train_batch(x, labels, grad_scale, [&](std::size_t layer) {
      float* out = m_flat.data() + m_layer_offset[layer];
      for (const Param* p : m_layer_params[layer]) out = std::copy(p->grad.begin(), p->grad.end(), out);
      for (; next < m_buckets.size() && m_buckets[next].first_layer == layer; ++next)
        m_async->enqueue(m_flat.data() + m_buckets[next].begin, m_buckets[next].end - m_buckets[next].begin);
    });
    const std::size_t n = m_flat.size() - 2;
    m_flat[n] = static_cast<float>(local.loss_sum);
    m_flat[n + 1] = static_cast<float>(local.correct);
    if (m_async) { // the buckets are on their way; the loss and the correct count follow them
      m_async->enqueue(m_flat.data() + n, 2);
      m_async->wait();
    } else { // every gradient, the loss and the correct count in one message
      m_comm.allreduce_sum(m_flat.data(), n + 2);
    }
    const float* in = m_flat.data();
    for (Param* p : m_params) {
      std::copy(in, in + p->grad.size(), p->grad.begin());
      in += p->grad.size();
      p->all_touched = p->sparse; // other ranks' rows are in it now
    }
    m_optimizer.step(lr);
    LossResult global;
    global.loss_sum = static_cast<double>(in[0]);
    global.correct = static_cast<std::size_t>(in[1] + 0.5f);
    return global;
  }

  LossResult evaluate(const Tensor& x, const std::vector<std::uint8_t>& labels) override {
    return m_model.evaluate(x, labels);
  }

  std::string name() const override {
    const std::string transport = m_comm.transport();
    return m_async ? "cpu (OpenBLAS, " + transport + " all-reduce overlapping backward)" : "cpu (OpenBLAS, " + transport + ")";
  }

private:
  Model& m_model;
  Optimizer& m_optimizer;
  Communicator& m_comm;
  std::vector<Param*> m_params;
  std::vector<std::size_t> m_layer_offset; // where each layer's gradients start in m_flat
  std::vector<std::vector<Param*>> m_layer_params;
  std::vector<GradientBucket> m_buckets;
  std::span<float> m_flat; // every gradient, then the loss and the correct count (several ranks only)
  std::optional<AsyncAllreduce> m_async; // with overlap, several ranks only
};

} // namespace

std::unique_ptr<Engine> make_cpu_engine(Model& model, Optimizer& optimizer, Communicator& comm, bool overlap) {
  return std::make_unique<CpuEngine>(model, optimizer, comm, overlap);
}

} // namespace kf::trainer
