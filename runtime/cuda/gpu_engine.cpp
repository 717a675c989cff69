// The GPU engine: the model's layers on one CUDA device per process
// (gpu_layers.h: cuBLAS GEMMs and the kernels in kernels.cu); gradients,
// plus the batch's loss and accuracy, all-reduced with one NCCL call per
// step. NCCL's unique id goes from rank 0 to the others through the Gloo
// broadcast.
#include "runtime/cuda/device.h"
#include "runtime/cuda/gpu_layers.h"
#include "runtime/cuda/kernels.h"
#include "runtime/gpu_engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kf::trainer {
namespace {

using cuda::check;
using cuda::DeviceBuffer;

class GpuEngine : public Engine {
public:
  GpuEngine(Model& model, Optimizer& optimizer, Communicator& comm, const GpuProbe& gpu)
      : m_optimizer(optimizer), m_params(model.params()), m_name("gpu " + gpu.description + " (cuBLAS, NCCL)") {
    check(cudaSetDevice(gpu.device), "cudaSetDevice");
    check(cudaStreamCreate(&m_ctx.stream), "cudaStreamCreate");
    check(cublasCreate(&m_ctx.cublas), "cublasCreate");
    check(cublasSetStream(m_ctx.cublas, m_ctx.stream), "cublasSetStream");
    m_layers = cuda::make_gpu_layers(model);
    std::vector<float> mask;
    for (const Param* p : m_params) mask.insert(mask.end(), p->value.size(), p->decay ? 1.0f : 0.0f);
    m_count = mask.size();
    m_w.reserve(m_count);
    m_g.reserve(m_count + 2); // + loss sum and correct count, reduced with the gradients
    m_m.reserve(m_count);
    m_v.reserve(m_count);
    m_mask.reserve(m_count);
    m_ctx.params = m_w.get();
    m_ctx.grads = m_g.get();
    check(cudaMemcpy(m_mask.get(), mask.data(), m_count * sizeof(float), cudaMemcpyHostToDevice), "copy mask");
    ncclUniqueId id;
    std::vector<char> bytes(sizeof id);
    if (comm.rank() == 0) {
      check(ncclGetUniqueId(&id), "ncclGetUniqueId");
      std::memcpy(bytes.data(), &id, sizeof id);
    }
    comm.broadcast(bytes, 0);
    std::memcpy(&id, bytes.data(), sizeof id);
    check(ncclCommInitRank(&m_nccl, comm.size(), id, comm.rank()), "ncclCommInitRank");
    m_ctx.nccl = m_nccl;
    push();
  }

  ~GpuEngine() override {
    ncclCommDestroy(m_nccl);
    cublasDestroy(m_ctx.cublas);
    cudaStreamDestroy(m_ctx.stream);
  }

  LossResult train_step(const Tensor& x, const std::vector<std::uint8_t>& labels, float grad_scale, float lr) override {
    const int n = static_cast<int>(x.batch());
    m_ctx.training = true;
    forward(x, labels);
    m_ctx.training = false;
    float* sums = m_g.get() + m_count;
    check(cudaMemsetAsync(sums, 0, 2 * sizeof(float), m_ctx.stream), "memset");
    m_delta.reserve(static_cast<std::size_t>(n) * max_size());
    m_delta2.reserve(static_cast<std::size_t>(n) * max_size());
    cuda::softmax_xent(m_acts.back().get(), m_labels.get(), n, static_cast<int>(m_layers.back()->out_size), grad_scale,
                       m_delta.get(), sums, m_ctx.stream);
    backward(n);
    check(ncclAllReduce(m_g.get(), m_g.get(), m_count + 2, ncclFloat, ncclSum, m_nccl, m_ctx.stream), "ncclAllReduce");
    update(lr);
    return read_sums(sums, "step");
  }

  LossResult evaluate(const Tensor& x, const std::vector<std::uint8_t>& labels) override {
    const int n = static_cast<int>(x.batch());
    forward(x, labels);
    m_sums.reserve(2);
    check(cudaMemsetAsync(m_sums.get(), 0, 2 * sizeof(float), m_ctx.stream), "memset");
    cuda::softmax_xent(m_acts.back().get(), m_labels.get(), n, static_cast<int>(m_layers.back()->out_size), 0.0f,
                       nullptr, m_sums.get(), m_ctx.stream);
    return read_sums(m_sums.get(), "evaluate");
  }

  void pull() override {
    std::vector<float> w(m_count), m(m_count), v(m_count);
    check(cudaMemcpy(w.data(), m_w.get(), m_count * sizeof(float), cudaMemcpyDeviceToHost), "pull");
    check(cudaMemcpy(m.data(), m_m.get(), m_count * sizeof(float), cudaMemcpyDeviceToHost), "pull");
    check(cudaMemcpy(v.data(), m_v.get(), m_count * sizeof(float), cudaMemcpyDeviceToHost), "pull");
    scatter(w, m, v);
    for (auto& layer : m_layers) layer->pull_state();
  }

  void push() override {
    std::vector<float> w, m, v;
    auto state = m_optimizer.state();
    const bool adam = state.size() == 2 * m_params.size();
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      w.insert(w.end(), m_params[i]->value.begin(), m_params[i]->value.end());
      const auto& ms = *state[adam ? 2 * i : i].data;
      m.insert(m.end(), ms.begin(), ms.end());
      if (adam) v.insert(v.end(), state[2 * i + 1].data->begin(), state[2 * i + 1].data->end());
    }
    v.resize(m_count, 0.0f);
    check(cudaMemcpy(m_w.get(), w.data(), m_count * sizeof(float), cudaMemcpyHostToDevice), "push");
    check(cudaMemcpy(m_m.get(), m.data(), m_count * sizeof(float), cudaMemcpyHostToDevice), "push");
    check(cudaMemcpy(m_v.get(), v.data(), m_count * sizeof(float), cudaMemcpyHostToDevice), "push");
    for (auto& layer : m_layers) layer->push_state();
  }

  std::string name() const override { return m_name; }

private:
  std::size_t max_size() const {
    std::size_t s = 0;
    for (const auto& l : m_layers) s = std::max({s, l->in_size, l->out_size});
    return s;
  }

  void forward(const Tensor& x, const std::vector<std::uint8_t>& labels) {
    const auto n = static_cast<int>(x.batch());
    m_acts.resize(m_layers.size() + 1);
    m_acts[0].reserve(x.data.size());
    check(cudaMemcpyAsync(m_acts[0].get(), x.ptr(), x.data.size() * sizeof(float), cudaMemcpyHostToDevice, m_ctx.stream),
          "copy x");
    m_labels.reserve(labels.size());
    check(cudaMemcpyAsync(m_labels.get(), labels.data(), labels.size(), cudaMemcpyHostToDevice, m_ctx.stream),
          "copy labels");
    m_layers.front()->stage(m_ctx, x);
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
      m_acts[i + 1].reserve(static_cast<std::size_t>(n) * m_layers[i]->out_size);
      m_layers[i]->forward(m_ctx, m_acts[i].get(), m_acts[i + 1].get(), n);
    }
  }

  // m_delta holds dlogits on entry; each layer's input gradient goes to the
  // other delta buffer, and the two swap.
  void backward(int n) {
    float* dout = m_delta.get();
    float* din = m_delta2.get();
    for (std::size_t i = m_layers.size(); i-- > 0;) {
      m_layers[i]->backward(m_ctx, m_acts[i].get(), m_acts[i + 1].get(), dout, i == 0 ? nullptr : din, n);
      std::swap(dout, din);
    }
  }

  void update(float lr) {
    const OptimizerConfig& c = m_optimizer.config();
    const int count = static_cast<int>(m_count);
    m_optimizer.set_steps(m_optimizer.steps() + 1);
    if (c.kind == "adam" || c.kind == "adamw") {
      const auto t = static_cast<float>(m_optimizer.steps());
      cuda::adam_update(m_w.get(), m_m.get(), m_v.get(), m_g.get(), m_mask.get(), count, lr, c.beta1, c.beta2, c.eps,
                        1.0f - std::pow(c.beta1, t), 1.0f - std::pow(c.beta2, t), c.weight_decay, c.kind == "adamw",
                        m_ctx.stream);
    } else {
      cuda::sgd_update(m_w.get(), m_m.get(), m_g.get(), m_mask.get(), count, lr, c.momentum, c.weight_decay,
                       m_ctx.stream);
    }
  }

  LossResult read_sums(const float* sums, const char* what) {
    float host[2];
    check(cudaMemcpyAsync(host, sums, sizeof host, cudaMemcpyDeviceToHost, m_ctx.stream), "copy sums");
    check(cudaStreamSynchronize(m_ctx.stream), what);
    return {static_cast<double>(host[0]), static_cast<std::size_t>(host[1] + 0.5f)};
  }

  void scatter(const std::vector<float>& w, const std::vector<float>& m, const std::vector<float>& v) {
    auto state = m_optimizer.state();
    const bool adam = state.size() == 2 * m_params.size();
    std::size_t at = 0;
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      const std::size_t len = m_params[i]->value.size();
      std::copy_n(w.begin() + static_cast<std::ptrdiff_t>(at), len, m_params[i]->value.begin());
      std::copy_n(m.begin() + static_cast<std::ptrdiff_t>(at), len, state[adam ? 2 * i : i].data->begin());
      if (adam) std::copy_n(v.begin() + static_cast<std::ptrdiff_t>(at), len, state[2 * i + 1].data->begin());
      at += len;
    }
  }

  Optimizer& m_optimizer;
  std::vector<Param*> m_params;
  std::string m_name;
  cuda::GpuContext m_ctx;
  std::vector<std::unique_ptr<cuda::GpuLayer>> m_layers;
  std::size_t m_count = 0;
  ncclComm_t m_nccl = nullptr;
  DeviceBuffer<float> m_w, m_g, m_m, m_v, m_mask, m_delta, m_delta2, m_sums;
  DeviceBuffer<std::uint8_t> m_labels;
  std::vector<DeviceBuffer<float>> m_acts; // m_acts[0] = input, m_acts[i+1] = output of layer i
};

} // namespace

std::unique_ptr<Engine> make_gpu_engine(Model& model, Optimizer& optimizer, Communicator& comm, const GpuProbe& gpu,
                                        std::string* why_not) {
  if (const std::string type = cuda::unsupported_layer(model); !type.empty()) {
    if (why_not != nullptr) *why_not = "the GPU engine has no '" + type + "' layer";
    return nullptr;
  }
  return std::make_unique<GpuEngine>(model, optimizer, comm, gpu);
}

} // namespace kf::trainer
