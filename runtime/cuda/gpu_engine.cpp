// The GPU engine: an MLP trained on one CUDA device per process with
// cuBLAS GEMMs and the kernels in kernels.cu; gradients (plus the batch's
// loss and accuracy) all-reduced with one NCCL call per step. NCCL's unique
// id goes from rank 0 to the others through the Gloo broadcast.
#include "runtime/cuda/kernels.h"
#include "runtime/error.h"
#include "runtime/gpu_engine.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kf::trainer {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}
void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw Error(std::string("cuBLAS: ") + what + " failed with status " + std::to_string(static_cast<int>(s)));
}
void check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw Error(std::string("NCCL: ") + what + ": " + ncclGetErrorString(r));
}

// A device buffer of floats (or bytes), freed on destruction.
template <typename T>
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { cudaFree(m_ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : m_ptr(o.m_ptr), m_size(o.m_size) {
    o.m_ptr = nullptr;
    o.m_size = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&&) = delete;
  void reserve(std::size_t n) {
    if (n <= m_size) return;
    cudaFree(m_ptr);
    m_ptr = nullptr;
    check(cudaMalloc(reinterpret_cast<void**>(&m_ptr), n * sizeof(T)), "cudaMalloc");
    m_size = n;
  }
  T* get() const { return m_ptr; }

private:
  T* m_ptr = nullptr;
  std::size_t m_size = 0;
};

struct DenseSlot {
  int in, out;
  std::size_t w, b; // offsets into the flat parameter buffer
};

class GpuEngine : public Engine {
public:
  GpuEngine(Model& model, Optimizer& optimizer, Communicator& comm, const GpuProbe& gpu)
      : m_model(model), m_optimizer(optimizer), m_comm(comm), m_params(model.params()), m_device(gpu.device),
        m_name("gpu " + gpu.description + " (cuBLAS, NCCL)") {
    check(cudaSetDevice(m_device), "cudaSetDevice");
    check(cudaStreamCreate(&m_stream), "cudaStreamCreate");
    check(cublasCreate(&m_cublas), "cublasCreate");
    check(cublasSetStream(m_cublas, m_stream), "cublasSetStream");
    const std::string act = model.config().activation;
    m_act = act == "relu" ? cuda::k_relu : act == "tanh" ? cuda::k_tanh : cuda::k_sigmoid;
    std::size_t offset = 0;
    std::vector<float> mask;
    for (std::size_t i = 0; i < m_params.size(); i += 2) {
      const Param& w = *m_params[i];
      m_layers.push_back({static_cast<int>(w.shape[1]), static_cast<int>(w.shape[0]), offset, offset + w.value.size()});
      offset += w.value.size() + m_params[i + 1]->value.size();
    }
    m_count = offset;
    for (const Param* p : m_params) mask.insert(mask.end(), p->value.size(), p->decay ? 1.0f : 0.0f);
    m_w.reserve(m_count);
    m_g.reserve(m_count + 2);
    m_m.reserve(m_count);
    m_v.reserve(m_count);
    m_mask.reserve(m_count);
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
    push();
  }

  ~GpuEngine() override {
    ncclCommDestroy(m_nccl);
    cublasDestroy(m_cublas);
    cudaStreamDestroy(m_stream);
  }

  LossResult train_step(const Tensor& x, const std::vector<std::uint8_t>& labels, float grad_scale, float lr) override {
    const int n = static_cast<int>(x.batch());
    forward(x, labels);
    float* sums = m_g.get() + m_count;
    check(cudaMemsetAsync(sums, 0, 2 * sizeof(float), m_stream), "memset");
    const DenseSlot& last = m_layers.back();
    m_delta.reserve(static_cast<std::size_t>(n) * max_width());
    m_delta2.reserve(static_cast<std::size_t>(n) * max_width());
    cuda::softmax_xent(m_acts.back().get(), m_labels.get(), n, last.out, grad_scale, m_delta.get(), sums, m_stream);
    backward(n);
    check(ncclAllReduce(m_g.get(), m_g.get(), m_count + 2, ncclFloat, ncclSum, m_nccl, m_stream), "ncclAllReduce");
    update(lr);
    float host[2];
    check(cudaMemcpyAsync(host, sums, sizeof host, cudaMemcpyDeviceToHost, m_stream), "copy sums");
    check(cudaStreamSynchronize(m_stream), "step");
    return {static_cast<double>(host[0]), static_cast<std::size_t>(host[1] + 0.5f)};
  }

  LossResult evaluate(const Tensor& x, const std::vector<std::uint8_t>& labels) override {
    const int n = static_cast<int>(x.batch());
    forward(x, labels);
    m_sums.reserve(2);
    check(cudaMemsetAsync(m_sums.get(), 0, 2 * sizeof(float), m_stream), "memset");
    cuda::softmax_xent(m_acts.back().get(), m_labels.get(), n, m_layers.back().out, 0.0f, nullptr, m_sums.get(), m_stream);
    float host[2];
    check(cudaMemcpyAsync(host, m_sums.get(), sizeof host, cudaMemcpyDeviceToHost, m_stream), "copy sums");
    check(cudaStreamSynchronize(m_stream), "evaluate");
    return {static_cast<double>(host[0]), static_cast<std::size_t>(host[1] + 0.5f)};
  }

  void pull() override {
    std::vector<float> w(m_count), m(m_count), v(m_count);
    check(cudaMemcpy(w.data(), m_w.get(), m_count * sizeof(float), cudaMemcpyDeviceToHost), "pull");
    check(cudaMemcpy(m.data(), m_m.get(), m_count * sizeof(float), cudaMemcpyDeviceToHost), "pull");
    check(cudaMemcpy(v.data(), m_v.get(), m_count * sizeof(float), cudaMemcpyDeviceToHost), "pull");
    scatter(w, m, v);
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
  }

  std::string name() const override { return m_name; }

private:
  std::size_t max_width() const {
    std::size_t w = 0;
    for (const auto& l : m_layers) w = std::max({w, static_cast<std::size_t>(l.in), static_cast<std::size_t>(l.out)});
    return w;
  }

  void forward(const Tensor& x, const std::vector<std::uint8_t>& labels) {
    const int n = static_cast<int>(x.batch());
    m_acts.resize(m_layers.size() + 1);
    m_pre.resize(m_layers.size());
    m_acts[0].reserve(x.data.size());
    check(cudaMemcpyAsync(m_acts[0].get(), x.ptr(), x.data.size() * sizeof(float), cudaMemcpyHostToDevice, m_stream), "copy x");
    m_labels.reserve(labels.size());
    check(cudaMemcpyAsync(m_labels.get(), labels.data(), labels.size(), cudaMemcpyHostToDevice, m_stream), "copy labels");
    const float one = 1.0f, zero = 0.0f;
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
      const DenseSlot& l = m_layers[i];
      const bool last = i + 1 == m_layers.size();
      DeviceBuffer<float>& z = last ? m_acts[i + 1] : m_pre[i];
      z.reserve(static_cast<std::size_t>(n) * l.out);
      // Row-major Y[n,out] = X[n,in] W[out,in]^T, i.e. column-major Y^T = W X^T.
      check(cublasSgemm(m_cublas, CUBLAS_OP_T, CUBLAS_OP_N, l.out, n, l.in, &one, m_w.get() + l.w, l.in,
                        m_acts[i].get(), l.in, &zero, z.get(), l.out), "forward sgemm");
      cuda::add_bias(z.get(), m_w.get() + l.b, n, l.out, m_stream);
      if (!last) {
        m_acts[i + 1].reserve(static_cast<std::size_t>(n) * l.out);
        cuda::activation_forward(m_act, z.get(), m_acts[i + 1].get(), n * l.out, m_stream);
      }
    }
  }

  // m_delta holds dlogits on entry.
  void backward(int n) {
    const float one = 1.0f, zero = 0.0f;
    for (std::size_t i = m_layers.size(); i-- > 0;) {
      const DenseSlot& l = m_layers[i];
      // dW[out,in] = dY^T X  (column-major dW^T = X^T dY)
      check(cublasSgemm(m_cublas, CUBLAS_OP_N, CUBLAS_OP_T, l.in, l.out, n, &one, m_acts[i].get(), l.in,
                        m_delta.get(), l.out, &zero, m_g.get() + l.w, l.in), "dW sgemm");
      cuda::bias_grad(m_delta.get(), m_g.get() + l.b, n, l.out, m_stream);
      if (i == 0) break;
      // dX[n,in] = dY W, then through the previous activation.
      check(cublasSgemm(m_cublas, CUBLAS_OP_N, CUBLAS_OP_N, l.in, n, l.out, &one, m_w.get() + l.w, l.in,
                        m_delta.get(), l.out, &zero, m_delta2.get(), l.in), "dX sgemm");
      cuda::activation_backward(m_act, m_pre[i - 1].get(), m_acts[i].get(), m_delta2.get(), m_delta.get(), n * l.in, m_stream);
    }
  }

  void update(float lr) {
    const OptimizerConfig& c = m_optimizer.config();
    const int count = static_cast<int>(m_count);
    m_optimizer.set_steps(m_optimizer.steps() + 1);
    if (c.kind == "adam") {
      const auto t = static_cast<float>(m_optimizer.steps());
      cuda::adam_update(m_w.get(), m_m.get(), m_v.get(), m_g.get(), m_mask.get(), count, lr, c.beta1, c.beta2, c.eps,
                        1.0f - std::pow(c.beta1, t), 1.0f - std::pow(c.beta2, t), c.weight_decay, m_stream);
    } else {
      cuda::sgd_update(m_w.get(), m_m.get(), m_g.get(), m_mask.get(), count, lr, c.momentum, c.weight_decay, m_stream);
    }
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

  Model& m_model;
  Optimizer& m_optimizer;
  Communicator& m_comm;
  std::vector<Param*> m_params;
  int m_device;
  std::string m_name;
  int m_act = cuda::k_relu;
  std::vector<DenseSlot> m_layers;
  std::size_t m_count = 0;
  cudaStream_t m_stream = nullptr;
  cublasHandle_t m_cublas = nullptr;
  ncclComm_t m_nccl = nullptr;
  DeviceBuffer<float> m_w, m_g, m_m, m_v, m_mask, m_delta, m_delta2, m_sums;
  DeviceBuffer<std::uint8_t> m_labels;
  std::vector<DeviceBuffer<float>> m_acts, m_pre;
};

} // namespace

std::unique_ptr<Engine> make_gpu_engine(Model& model, Optimizer& optimizer, Communicator& comm, const GpuProbe& gpu,
                                        std::string* why_not) {
  if (model.config().kind != "mlp") {
    if (why_not != nullptr) *why_not = "the GPU engine trains MLPs; --model=" + model.config().kind + " runs on the CPU";
    return nullptr;
  }
  return std::make_unique<GpuEngine>(model, optimizer, comm, gpu);
}

} // namespace kf::trainer
