// The device twin of TransformerEncoder (transformer.h): the same pre-LN
// blocks, pooling and hashed features, step for step, with cuBLAS GEMMs for
// the projections and text_kernels.cu for the rest (see gpu_text.cpp).
#include "runtime/cuda/gpu_layers.h"

#include "runtime/cuda/kernels.h"
#include "runtime/cuda/norm_kernels.h"
#include "runtime/cuda/text_kernels.h"
#include "runtime/transformer.h"


namespace kf::trainer::cuda {
namespace {

// Offsets of one encoder block's parameters, in TransformerEncoder::params() order.
struct BlockParams {
  std::size_t norm1_w, norm1_b, in_w, in_b, out_w, out_b, norm2_w, norm2_b, lin1_w, lin1_b, lin2_w, lin2_b;
};

// What a block's forward keeps for its backward.
struct BlockState {
  DeviceBuffer<float> h1, mean1, rstd1, qkv, probs, ctx, mid, drop1, h2, mean2, rstd2, f1, g, drop2;
};

class GpuTransformer : public GpuLayer {
public:
  GpuTransformer(TransformerEncoder& host, const Shape& in, std::size_t offset)
      : m_host(host), m_c(host.settings()), m_d(as_int(m_c.dim)), m_f(as_int(m_c.ffn)) {
    in_size = in[0];
    out_size = m_c.dim;
    std::vector<std::size_t> at; // each parameter's offset
    for (const Param* p : host.params()) {
      at.push_back(offset);
      offset += p->value.size();
    }
    m_token = at[0];
    m_position = at[1];
    for (std::size_t b = 0; b < m_c.layers; ++b) {
      const std::size_t* o = at.data() + 2 + 12 * b;
      m_blocks.push_back({o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11]});
    }
    m_norm_w = at[2 + 12 * m_c.layers];
    m_norm_b = at[3 + 12 * m_c.layers];
    m_state.resize(m_c.layers);
    m_x.resize(m_c.layers + 1);
  }

  void stage(GpuContext& ctx, const Tensor& x) override;
  void forward(GpuContext& ctx, const float* in, float* out, int n) override;
  void backward(GpuContext& ctx, const float* in, const float* out, const float* dout, float* din, int n) override;

private:
  int rows() const { return m_n * m_t; }
  std::size_t size(int width) const { return static_cast<std::size_t>(rows()) * static_cast<std::size_t>(width); }
  void linear(GpuContext& ctx, const float* x, int in, int out, std::size_t w, std::size_t b, float* y);
  void linear_backward(GpuContext& ctx, const float* x, const float* dy, int in, int out, std::size_t w,
                       std::size_t b, float* dx);
  void dropout(GpuContext& ctx, float* x, DeviceBuffer<float>& mask);
  void block_forward(GpuContext& ctx, const BlockParams& p, BlockState& s, const float* x, float* y);
  void block_backward(GpuContext& ctx, const BlockParams& p, BlockState& s, const float* x, float* dx);

  TransformerEncoder& m_host;
  TransformerConfig m_c;
  int m_d, m_f;
  std::size_t m_token = 0, m_position = 0, m_norm_w = 0, m_norm_b = 0;
  std::vector<BlockParams> m_blocks;
  // The staged batch: n texts cut to t positions.
  int m_n = 0, m_t = 1;
  bool m_dropped = false;
  std::vector<float> m_mask; // host copy of the last mask drawn
  DeviceBuffer<int> m_ids, m_bag;
  DeviceBuffer<unsigned char> m_keep;
  DeviceBuffer<float> m_count, m_drop0, m_z, m_mean, m_rstd;
  DeviceBuffer<float> m_dx, m_dtmp, m_dwide, m_dln, m_dqkv, m_ds;
  std::vector<DeviceBuffer<float>> m_x; // block inputs; m_x[layers] is the last block's output
  std::vector<BlockState> m_state;
};

// As TransformerEncoder::embed: the batch is cut to its longest text.
void GpuTransformer::stage(GpuContext& ctx, const Tensor& x) {
  const std::size_t f = x.per_sample(), n = x.batch(), slots = m_c.hash_slots;
  std::size_t t = 1;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = t; j < m_c.positions; ++j)
      if (x.data[i * f + j] != 0.0f) t = j + 1;
  std::vector<int> ids(n * t), bag(n * slots);
  std::vector<unsigned char> keep(n * t);
  std::vector<float> count(n, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < t; ++j) {
      ids[i * t + j] = as_int(embedding_row(x.data[i * f + j], m_c.rows));
      keep[i * t + j] = ids[i * t + j] != 0 ? 1 : 0;
      count[i] += static_cast<float>(keep[i * t + j]);
    }
    for (std::size_t k = 0; k < slots; ++k)
      bag[i * slots + k] = as_int(embedding_row(x.data[i * f + m_c.positions + k], m_c.rows));
  }
  m_n = as_int(n);
  m_t = as_int(t);
  upload(m_ids, ids, ctx.stream, "token ids");
  upload(m_keep, keep, ctx.stream, "padding mask");
  upload(m_count, count, ctx.stream, "text lengths");
  upload(m_bag, bag, ctx.stream, "hashed features");
}

void GpuTransformer::linear(GpuContext& ctx, const float* x, int in, int out, std::size_t w, std::size_t b, float* y) {
  gemm(ctx, false, true, rows(), out, in, x, ctx.params + w, y, "transformer linear sgemm");
  add_bias(y, ctx.params + b, rows(), out, ctx.stream);
}

// dW = dy^T x, db = column sums of dy (both overwritten), dx = dy W.
void GpuTransformer::linear_backward(GpuContext& ctx, const float* x, const float* dy, int in, int out, std::size_t w,
                                     std::size_t b, float* dx) {
  gemm(ctx, true, false, out, in, rows(), dy, x, ctx.grads + w, "transformer dW sgemm");
  bias_grad(dy, ctx.grads + b, rows(), out, ctx.stream);
  gemm(ctx, false, false, rows(), in, out, dy, ctx.params + w, dx, "transformer dX sgemm");
}

void GpuTransformer::dropout(GpuContext& ctx, float* x, DeviceBuffer<float>& mask) {
  if (!m_dropped) return;
  m_host.draw_mask(m_mask, size(m_d));
  upload(mask, m_mask, ctx.stream, "dropout mask");
  multiply(x, mask.get(), x, static_cast<long long>(size(m_d)), ctx.stream);
}

void GpuTransformer::block_forward(GpuContext& ctx, const BlockParams& p, BlockState& s, const float* x, float* y) {
  const int r = rows(), d = m_d;
  for (auto* buf : {&s.h1, &s.ctx, &s.mid, &s.h2}) buf->reserve(size(d));
  for (auto* buf : {&s.mean1, &s.rstd1, &s.mean2, &s.rstd2}) buf->reserve(size(1));
  s.qkv.reserve(size(3 * d));
  s.f1.reserve(size(m_f));
  s.g.reserve(size(m_f));
  s.probs.reserve(static_cast<std::size_t>(m_n) * m_c.heads * static_cast<std::size_t>(m_t * m_t));
  layer_norm_forward(x, ctx.params + p.norm1_w, ctx.params + p.norm1_b, s.h1.get(), s.mean1.get(), s.rstd1.get(), r, d,
                     ctx.stream);
  linear(ctx, s.h1.get(), d, 3 * d, p.in_w, p.in_b, s.qkv.get());
  attention_forward(s.qkv.get(), m_keep.get(), s.probs.get(), s.ctx.get(), m_n, m_t, d, as_int(m_c.heads), ctx.stream);
  linear(ctx, s.ctx.get(), d, d, p.out_w, p.out_b, s.mid.get());
  dropout(ctx, s.mid.get(), s.drop1);
  add_to(s.mid.get(), x, static_cast<long long>(size(d)), ctx.stream);
  layer_norm_forward(s.mid.get(), ctx.params + p.norm2_w, ctx.params + p.norm2_b, s.h2.get(), s.mean2.get(),
                     s.rstd2.get(), r, d, ctx.stream);
  linear(ctx, s.h2.get(), d, m_f, p.lin1_w, p.lin1_b, s.f1.get());
  gelu_forward(s.f1.get(), s.g.get(), static_cast<long long>(size(m_f)), ctx.stream);
  linear(ctx, s.g.get(), m_f, d, p.lin2_w, p.lin2_b, y);
  dropout(ctx, y, s.drop2);
  add_to(y, s.mid.get(), static_cast<long long>(size(d)), ctx.stream);
}

void GpuTransformer::forward(GpuContext& ctx, const float* /*in*/, float* out, int n) {
  m_dropped = ctx.training && m_c.dropout > 0.0f;
  const int d = m_d;
  for (auto& x : m_x) x.reserve(size(d));
  embed(m_ids.get(), ctx.params + m_token, ctx.params + m_position, m_x[0].get(), rows(), m_t, d, ctx.stream);
  dropout(ctx, m_x[0].get(), m_drop0);
  for (std::size_t b = 0; b < m_blocks.size(); ++b)
    block_forward(ctx, m_blocks[b], m_state[b], m_x[b].get(), m_x[b + 1].get());
  m_z.reserve(size(d));
  m_mean.reserve(size(1));
  m_rstd.reserve(size(1));
  layer_norm_forward(m_x.back().get(), ctx.params + m_norm_w, ctx.params + m_norm_b, m_z.get(), m_mean.get(),
                     m_rstd.get(), rows(), d, ctx.stream);
  pool_forward(m_z.get(), m_keep.get(), m_count.get(), out, n, m_t, d, m_c.pooling == "cls", ctx.stream);
  if (m_c.hash_slots > 0)
    bag_add(m_bag.get(), ctx.params + m_token, out, n, as_int(m_c.hash_slots), d, ctx.stream);
}

// dx: in, the gradient at the block's output; out, at its input (as the CPU's block_backward).
void GpuTransformer::block_backward(GpuContext& ctx, const BlockParams& p, BlockState& s, const float* x, float* dx) {
  const int r = rows(), d = m_d;
  const auto count = static_cast<long long>(size(d));
  float* dtmp = m_dtmp.get();
  float* dln = m_dln.get();
  // Feed-forward branch: dx is d(output) = d(mid) through the residual.
  check(cudaMemcpyAsync(dtmp, dx, size(d) * sizeof(float), cudaMemcpyDeviceToDevice, ctx.stream), "copy gradient");
  if (m_dropped) multiply(dtmp, s.drop2.get(), dtmp, count, ctx.stream);
  linear_backward(ctx, s.g.get(), dtmp, m_f, d, p.lin2_w, p.lin2_b, m_dwide.get());
  gelu_backward(s.f1.get(), m_dwide.get(), m_dwide.get(), static_cast<long long>(size(m_f)), ctx.stream);
  linear_backward(ctx, s.h2.get(), m_dwide.get(), d, m_f, p.lin1_w, p.lin1_b, dtmp);
  layer_norm_backward(s.mid.get(), dtmp, ctx.params + p.norm2_w, s.mean2.get(), s.rstd2.get(), dln,
                      ctx.grads + p.norm2_w, ctx.grads + p.norm2_b, r, d, ctx.stream);
  add_to(dx, dln, count, ctx.stream);
  // Attention branch: dx is now d(mid) = d(input) through the residual.
  check(cudaMemcpyAsync(dtmp, dx, size(d) * sizeof(float), cudaMemcpyDeviceToDevice, ctx.stream), "copy gradient");
  if (m_dropped) multiply(dtmp, s.drop1.get(), dtmp, count, ctx.stream);
  linear_backward(ctx, s.ctx.get(), dtmp, d, d, p.out_w, p.out_b, dln); // dln holds d(ctx)
  attention_backward(s.qkv.get(), s.probs.get(), dln, m_dqkv.get(), m_ds.get(), m_n, m_t, d, as_int(m_c.heads),
                     ctx.stream);
  linear_backward(ctx, s.h1.get(), m_dqkv.get(), d, 3 * d, p.in_w, p.in_b, dtmp);
  layer_norm_backward(x, dtmp, ctx.params + p.norm1_w, s.mean1.get(), s.rstd1.get(), dln, ctx.grads + p.norm1_w,
                      ctx.grads + p.norm1_b, r, d, ctx.stream);
  add_to(dx, dln, count, ctx.stream);
}

void GpuTransformer::backward(GpuContext& ctx, const float* /*in*/, const float* /*out*/, const float* dout,
                              float* /*din*/, int n) {
  const int d = m_d;
  for (auto* buf : {&m_dx, &m_dtmp, &m_dln}) buf->reserve(size(d));
  m_dwide.reserve(size(m_f));
  m_dqkv.reserve(size(3 * d));
  m_ds.reserve(static_cast<std::size_t>(m_n) * m_c.heads * static_cast<std::size_t>(m_t * m_t));
  pool_backward(dout, m_keep.get(), m_count.get(), m_dtmp.get(), n, m_t, d, m_c.pooling == "cls", ctx.stream);
  layer_norm_backward(m_x.back().get(), m_dtmp.get(), ctx.params + m_norm_w, m_mean.get(), m_rstd.get(), m_dx.get(),
                      ctx.grads + m_norm_w, ctx.grads + m_norm_b, rows(), d, ctx.stream);
  for (std::size_t b = m_blocks.size(); b-- > 0;)
    block_backward(ctx, m_blocks[b], m_state[b], m_x[b].get(), m_dx.get());
  if (m_dropped) multiply(m_dx.get(), m_drop0.get(), m_dx.get(), static_cast<long long>(size(d)), ctx.stream);
  // The embedding tables' gradients: every row of the token table (the
  // hashed features add to it too) and of the position table starts at zero.
  const std::size_t tables = (m_c.rows + m_c.positions) * m_c.dim;
  check(cudaMemsetAsync(ctx.grads + m_token, 0, tables * sizeof(float), ctx.stream), "embedding gradients");
  embed_backward(m_ids.get(), m_dx.get(), ctx.grads + m_token, ctx.grads + m_position, n, m_t, d, ctx.stream);
  if (m_c.hash_slots > 0)
    embedding_bag_backward(m_bag.get(), dout, ctx.grads + m_token, n, as_int(m_c.hash_slots), d, ctx.stream);
}

} // namespace

std::unique_ptr<GpuLayer> make_transformer_twin(TransformerEncoder& host, const Shape& in, std::size_t offset) {
  return std::make_unique<GpuTransformer>(host, in, offset);
}

} // namespace kf::trainer::cuda
