// The CPU engine: the host Model, and one Gloo all-reduce per step over a
// flat buffer holding every gradient plus the batch's loss and accuracy
// (none for one rank). After a multi-rank all-reduce a row-sparse gradient
// holds every rank's rows, so the optimizer updates all of them.
#include "runtime/engine.h"

#include <algorithm>

namespace kf::trainer {
namespace {

class CpuEngine : public Engine {
public:
  CpuEngine(Model& model, Optimizer& optimizer, Communicator& comm)
      : m_model(model), m_optimizer(optimizer), m_comm(comm), m_params(model.params()) {
    std::size_t n = 0;
    for (const Param* p : m_params) n += p->grad.size();
    m_flat.resize(n + 2);
  }

  LossResult train_step(const Tensor& x, const std::vector<std::uint8_t>& labels, float grad_scale,
                        float lr) override {
    const LossResult local = m_model.train_batch(x, labels, grad_scale);
    if (m_comm.size() == 1) { // the sum over one rank is its own gradient
      m_optimizer.step(lr);
      return local;
    }
    float* out = m_flat.data();
    for (const Param* p : m_params) out = std::copy(p->grad.begin(), p->grad.end(), out);
    out[0] = static_cast<float>(local.loss_sum);
    out[1] = static_cast<float>(local.correct);
    m_comm.allreduce_sum(m_flat.data(), m_flat.size());
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

  std::string name() const override { return "cpu (OpenBLAS, Gloo)"; }

private:
  Model& m_model;
  Optimizer& m_optimizer;
  Communicator& m_comm;
  std::vector<Param*> m_params;
  std::vector<float> m_flat;
};

} // namespace

std::unique_ptr<Engine> make_cpu_engine(Model& model, Optimizer& optimizer, Communicator& comm) {
  return std::make_unique<CpuEngine>(model, optimizer, comm);
}

} // namespace kf::trainer
