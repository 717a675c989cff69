// Device twins of BatchNorm (SyncBatchNorm too), Dropout and GlobalAvgPool2d (norm.cpp), with
// the kernels in norm_kernels.cu. BatchNorm's running statistics live on
// the device while training and go back to the host layer with pull(), so
// checkpoints and exports read them there; Dropout's mask is drawn by the
// host layer from its own stream, so both engines drop the same elements.
#include "runtime/cuda/gpu_layers.h"

#include "runtime/cuda/norm_kernels.h"

namespace kf::trainer::cuda {
namespace {

// Over the channels of [C, H, W] or the features of [D]: weight (gamma) at
// `w`, bias (beta) right after it. Synchronised (--sync-batch-norm), the
// statistics and backward's two sums are over every rank's batch, through
// NCCL, as the CPU layer's are through Gloo: one all-reduce of the sums of x,
// x^2 and the count in forward, one of the sums of dy and dy x^ in backward.
class GpuBatchNorm : public GpuLayer {
public:
  GpuBatchNorm(BatchNorm& host, const Shape& in, std::size_t w)
      : m_host(host), m_c(as_int(in[0])), m_s(as_int(numel(in) / in[0])), m_w(w), m_b(w + in[0]),
        m_sync(host.synchronised()) {
    in_size = out_size = numel(in);
    const auto c = static_cast<std::size_t>(m_c);
    m_mean.reserve(c);
    m_var.reserve(c);
    m_sums.reserve(2 * c + 1);
    m_inv_std.reserve(c);
    m_running_mean.reserve(c);
    m_running_var.reserve(c);
  }

  void forward(GpuContext& ctx, const float* in, float* out, int n) override {
    m_xhat.reserve(static_cast<std::size_t>(n) * in_size);
    m_count = static_cast<double>(n) * m_s;
    if (ctx.training && m_sync) {
      synchronised_statistics(ctx, in, n);
      m_batch = m_count > 1.0; // the global count: the same decision on every rank
    } else {
      m_batch = ctx.training && m_count > 1.0; // as BatchNorm::forward: one element per channel has no variance
      if (m_batch) batchnorm_stats(in, m_mean.get(), m_var.get(), n, m_c, m_s, ctx.stream);
    }
    batchnorm_prepare(m_mean.get(), m_var.get(), m_running_mean.get(), m_running_var.get(), m_inv_std.get(), m_c,
                      m_batch, m_count, BatchNorm::k_momentum, BatchNorm::k_eps, ctx.stream);
    batchnorm_normalize(in, out, m_xhat.get(), m_mean.get(), m_inv_std.get(), ctx.params + m_w, ctx.params + m_b, n,
                        m_c, m_s, ctx.stream);
  }

  void backward(GpuContext& ctx, const float* /*in*/, const float* /*out*/, const float* dout, float* din,
                int n) override {
    batchnorm_backward_sums(dout, m_xhat.get(), m_sums.get(), ctx.grads + m_w, ctx.grads + m_b, n, m_c, m_s,
                            ctx.stream);
    // Every rank sums, first layer or not, so that the all-reduces pair up.
    if (m_sync && m_batch)
      check(ncclAllReduce(m_sums.get(), m_sums.get(), 2 * static_cast<std::size_t>(m_c), ncclDouble, ncclSum, ctx.nccl,
                          ctx.stream),
            "SyncBatchNorm backward all-reduce");
    if (din != nullptr)
      batchnorm_backward_dx(dout, m_xhat.get(), m_sums.get(), m_inv_std.get(), ctx.params + m_w, din, n, m_c, m_s,
                            m_batch, m_count, ctx.stream);
  }

  void push_state() override {
    const std::vector<Param*> stats = m_host.buffers(); // running_mean, running_var
    check(cudaMemcpy(m_running_mean.get(), stats[0]->value.data(), stats[0]->value.size() * sizeof(float),
                     cudaMemcpyHostToDevice),
          "push running mean");
    check(cudaMemcpy(m_running_var.get(), stats[1]->value.data(), stats[1]->value.size() * sizeof(float),
                     cudaMemcpyHostToDevice),
          "push running variance");
  }

  void pull_state() override {
    const std::vector<Param*> stats = m_host.buffers();
    check(cudaMemcpy(stats[0]->value.data(), m_running_mean.get(), stats[0]->value.size() * sizeof(float),
                     cudaMemcpyDeviceToHost),
          "pull running mean");
    check(cudaMemcpy(stats[1]->value.data(), m_running_var.get(), stats[1]->value.size() * sizeof(float),
                     cudaMemcpyDeviceToHost),
          "pull running variance");
  }

private:
  // The batch's mean and variance over every rank; m_count becomes the global count.
  void synchronised_statistics(GpuContext& ctx, const float* in, int n) {
    batchnorm_sums(in, m_sums.get(), n, m_c, m_s, ctx.stream);
    double* count = m_sums.get() + 2 * m_c;
    check(cudaMemcpyAsync(count, &m_count, sizeof(double), cudaMemcpyHostToDevice, ctx.stream), "SyncBatchNorm count");
    check(ncclAllReduce(m_sums.get(), m_sums.get(), 2 * static_cast<std::size_t>(m_c) + 1, ncclDouble, ncclSum,
                        ctx.nccl, ctx.stream),
          "SyncBatchNorm forward all-reduce");
    batchnorm_moments(m_sums.get(), m_mean.get(), m_var.get(), m_c, ctx.stream);
    check(cudaMemcpyAsync(&m_count, count, sizeof(double), cudaMemcpyDeviceToHost, ctx.stream), "SyncBatchNorm count");
    check(cudaStreamSynchronize(ctx.stream), "SyncBatchNorm count");
  }

  BatchNorm& m_host;
  int m_c, m_s; // channels, elements per channel and sample
  std::size_t m_w, m_b;
  bool m_sync;          // SyncBatchNorm
  bool m_batch = false; // the last forward used the batch's statistics
  double m_count = 0.0; // elements per channel of the last forward's batch
  DeviceBuffer<double> m_mean, m_var, m_sums;
  DeviceBuffer<float> m_inv_std, m_running_mean, m_running_var, m_xhat;
};

class GpuDropout : public GpuLayer {
public:
  GpuDropout(Dropout& host, float p, std::size_t size) : m_host(host), m_p(p) { in_size = out_size = size; }

  void forward(GpuContext& ctx, const float* in, float* out, int n) override {
    const std::size_t count = static_cast<std::size_t>(n) * in_size;
    m_masked = ctx.training && m_p > 0.0f; // as Dropout::forward, which draws nothing otherwise
    if (!m_masked) {
      check(cudaMemcpyAsync(out, in, count * sizeof(float), cudaMemcpyDeviceToDevice, ctx.stream), "dropout copy");
      return;
    }
    const std::vector<float>& mask = m_host.draw_mask(count);
    m_mask.reserve(count);
    // From pageable memory: returns once the mask is staged, so the host
    // vector may change after.
    check(cudaMemcpyAsync(m_mask.get(), mask.data(), count * sizeof(float), cudaMemcpyHostToDevice, ctx.stream),
          "dropout mask");
    multiply(in, m_mask.get(), out, static_cast<long long>(count), ctx.stream);
  }

  void backward(GpuContext& ctx, const float* /*in*/, const float* /*out*/, const float* dout, float* din,
                int n) override {
    if (din == nullptr) return;
    const std::size_t count = static_cast<std::size_t>(n) * in_size;
    if (m_masked)
      multiply(dout, m_mask.get(), din, static_cast<long long>(count), ctx.stream);
    else
      check(cudaMemcpyAsync(din, dout, count * sizeof(float), cudaMemcpyDeviceToDevice, ctx.stream), "dropout copy");
  }

private:
  Dropout& m_host;
  float m_p;
  bool m_masked = false;
  DeviceBuffer<float> m_mask;
};

// [C, H, W] -> [C].
class GpuGlobalAvgPool : public GpuLayer {
public:
  explicit GpuGlobalAvgPool(const Shape& in) : m_c(as_int(in[0])), m_s(as_int(in[1] * in[2])) {
    in_size = numel(in);
    out_size = in[0];
  }
  void forward(GpuContext& ctx, const float* in, float* out, int n) override {
    global_avg_pool_forward(in, out, n * m_c, m_s, ctx.stream);
  }
  void backward(GpuContext& ctx, const float* /*in*/, const float* /*out*/, const float* dout, float* din,
                int n) override {
    if (din != nullptr) global_avg_pool_backward(dout, din, n * m_c, m_s, ctx.stream);
  }

private:
  int m_c, m_s;
};

} // namespace

std::unique_ptr<GpuLayer> make_norm_twin(Layer& layer, const std::string& type, const Shape& in, std::size_t offset) {
  if (type == "batchnorm1d" || type == "batchnorm2d")
    return std::make_unique<GpuBatchNorm>(dynamic_cast<BatchNorm&>(layer), in, offset);
  if (type == "dropout")
    return std::make_unique<GpuDropout>(dynamic_cast<Dropout&>(layer), layer.config().at("p").get<float>(), numel(in));
  if (type == "globalavgpool2d") return std::make_unique<GpuGlobalAvgPool>(in);
  return nullptr;
}

} // namespace kf::trainer::cuda
