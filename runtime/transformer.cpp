// TransformerEncoder (runtime/transformer.h): embeddings, pre-LN encoder
// blocks, final LayerNorm and pooling; GEMMs through OpenBLAS, the
// attention through transformer_ops.cpp.
#include "runtime/transformer.h"

#include "runtime/error.h"
#include "runtime/transformer_ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

namespace kf::trainer {
namespace {

float* sized(std::vector<float>& v, std::size_t n) {
  v.resize(n);
  return v.data();
}

void fill_normal(Param& p, float stddev, Rng& rng) {
  for (float& w : p.value) w = stddev * rng.normal();
}

// Xavier-uniform weights [out, in] (torch's init of attention projections).
void fill_xavier(Param& p, Rng& rng) {
  const float bound = std::sqrt(6.0f / static_cast<float>(p.shape[0] + p.shape[1]));
  for (float& w : p.value) w = rng.uniform(-bound, bound);
}

// y [rows, out] = x [rows, in] W^T + b.
void linear(const float* x, std::size_t rows, const Param& w, const Param& b, float* y) {
  const std::size_t out = w.shape[0];
  for (std::size_t r = 0; r < rows; ++r) std::copy(b.value.begin(), b.value.end(), y + r * out);
  dense_gemm_add(x, rows, w, y);
}

// dW = dy^T x, db = column sums of dy (both overwritten); dx = dy W when dx is given.
void linear_backward(const float* x, const float* dy, std::size_t rows, Param& w, Param& b, float* dx) {
  const auto out = static_cast<int>(w.shape[0]), in = static_cast<int>(w.shape[1]);
  const auto n = static_cast<int>(rows);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in, 0.0f, w.grad.data(), in);
  std::fill(b.grad.begin(), b.grad.end(), 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < b.grad.size(); ++j) b.grad[j] += dy[r * b.grad.size() + j];
  if (dx != nullptr)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, w.value.data(), in, 0.0f, dx, in);
}

void add(float* y, const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
}

} // namespace

void validate(const TransformerConfig& c) {
  if (c.rows < 2 || c.positions < 1) throw UsageError("the transformer needs text data (a vocabulary and --max-length)");
  if (c.dim == 0 || c.heads == 0 || c.dim % c.heads != 0)
    throw UsageError("--embedding-dim (" + std::to_string(c.dim) + ") must be a positive multiple of --heads (" +
                     std::to_string(c.heads) + ")");
  if (c.layers == 0) throw UsageError("--encoder-layers must be at least 1");
  if (c.ffn == 0) throw UsageError("--ffn-dim must be positive");
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f)) throw UsageError("--dropout must be in [0, 1)");
  if (c.pooling != "mean" && c.pooling != "cls")
    throw UsageError("unknown --pooling '" + c.pooling + "' (expected mean or cls)");
}

TransformerEncoder::Block::Block(const std::string& p, const TransformerConfig& c, Rng& rng)
    : norm1_w(p + ".norm1.weight", {c.dim}, false), norm1_b(p + ".norm1.bias", {c.dim}, false),
      in_w(p + ".attn.in_proj_weight", {3 * c.dim, c.dim}, true), in_b(p + ".attn.in_proj_bias", {3 * c.dim}, false),
      out_w(p + ".attn.out_proj.weight", {c.dim, c.dim}, true), out_b(p + ".attn.out_proj.bias", {c.dim}, false),
      norm2_w(p + ".norm2.weight", {c.dim}, false), norm2_b(p + ".norm2.bias", {c.dim}, false),
      lin1_w(p + ".linear1.weight", {c.ffn, c.dim}, true), lin1_b(p + ".linear1.bias", {c.ffn}, false),
      lin2_w(p + ".linear2.weight", {c.dim, c.ffn}, true), lin2_b(p + ".linear2.bias", {c.dim}, false) {
  std::fill(norm1_w.value.begin(), norm1_w.value.end(), 1.0f);
  std::fill(norm2_w.value.begin(), norm2_w.value.end(), 1.0f);
  fill_xavier(in_w, rng);
  fill_xavier(out_w, rng);
  fill_xavier(lin1_w, rng);
  fill_xavier(lin2_w, rng);
}

TransformerEncoder::TransformerEncoder(const TransformerConfig& config, const std::string& prefix, Rng& rng)
    : m_c((validate(config), config)), m_prefix(prefix), m_cls(config.pooling == "cls"),
      m_token(prefix + ".token_embedding.weight", {config.rows, config.dim}, true),
      m_position(prefix + ".position_embedding.weight", {config.positions, config.dim}, true),
      m_norm_w(prefix + ".norm.weight", {config.dim}, false), m_norm_b(prefix + ".norm.bias", {config.dim}, false),
      m_rng(rng.next()) {
  fill_normal(m_token, 0.02f, rng);
  std::fill(m_token.value.begin(), m_token.value.begin() + static_cast<std::ptrdiff_t>(m_c.dim), 0.0f); // [PAD]
  m_token.make_sparse(); // a batch touches few of the rows (with hashed features, of many)
  fill_normal(m_position, 0.02f, rng);
  std::fill(m_norm_w.value.begin(), m_norm_w.value.end(), 1.0f);
  m_blocks.reserve(m_c.layers);
  for (std::size_t i = 0; i < m_c.layers; ++i) m_blocks.emplace_back(prefix + ".blocks." + std::to_string(i), m_c, rng);
  m_x.resize(m_c.layers + 1);
}

Shape TransformerEncoder::output_shape(const Shape& in) const {
  if (in.size() != 1 || in[0] != m_c.positions + m_c.hash_slots)
    throw Error("the transformer takes rows of " + std::to_string(m_c.positions + m_c.hash_slots) + " token ids");
  return {m_c.dim};
}

void TransformerEncoder::draw_mask(std::vector<float>& mask, std::size_t n) {
  const float p = m_c.dropout;
  const float scale = 1.0f / (1.0f - p);
  float* m = sized(mask, n);
  for (std::size_t i = 0; i < n; ++i) m[i] = m_rng.uniform() < static_cast<double>(p) ? 0.0f : scale;
}

void TransformerEncoder::dropout(float* x, std::vector<float>& mask, std::size_t n) {
  if (!m_dropped) return;
  draw_mask(mask, n);
  for (std::size_t i = 0; i < n; ++i) x[i] *= mask[i];
}

// Ids -> m_x[0]; cuts the batch to its longest text.
void TransformerEncoder::embed(const Tensor& in) {
  const std::size_t f = in.per_sample(), d = m_c.dim;
  m_n = in.batch();
  m_t = 1;
  for (std::size_t i = 0; i < m_n; ++i)
    for (std::size_t j = m_t; j < m_c.positions; ++j)
      if (in.data[i * f + j] != 0.0f) m_t = j + 1;
  const std::size_t rows = m_n * m_t;
  m_ids.resize(rows);
  m_keep.resize(rows);
  m_count.assign(m_n, 0.0f);
  float* x = sized(m_x[0], rows * d);
  for (std::size_t i = 0; i < m_n; ++i)
    for (std::size_t j = 0; j < m_t; ++j) {
      const std::size_t r = i * m_t + j;
      m_ids[r] = embedding_row(in.data[i * f + j], m_c.rows);
      m_keep[r] = m_ids[r] != 0 ? 1 : 0;
      m_count[i] += static_cast<float>(m_keep[r]);
      const float* tok = m_token.value.data() + m_ids[r] * d;
      const float* pos = m_position.value.data() + j * d;
      for (std::size_t k = 0; k < d; ++k) x[r * d + k] = tok[k] + pos[k];
    }
  dropout(x, m_drop0, rows * d);
  m_bag.resize(m_n * m_c.hash_slots);
  m_bag_count.assign(m_n, 0.0f);
  for (std::size_t i = 0; i < m_n; ++i)
    for (std::size_t k = 0; k < m_c.hash_slots; ++k) {
      m_bag[i * m_c.hash_slots + k] = embedding_row(in.data[i * f + m_c.positions + k], m_c.rows);
      if (m_bag[i * m_c.hash_slots + k] != 0) m_bag_count[i] += 1.0f;
    }
}

// out[i] += the mean of text i's hashed feature rows.
void TransformerEncoder::add_bag(Tensor& out) const {
  const std::size_t d = m_c.dim;
  for (std::size_t i = 0; i < m_n; ++i) {
    if (m_bag_count[i] == 0.0f) continue;
    const float inv = 1.0f / m_bag_count[i];
    float* o = out.ptr() + i * d;
    for (std::size_t k = 0; k < m_c.hash_slots; ++k) {
      const std::size_t row = m_bag[i * m_c.hash_slots + k];
      if (row == 0) continue;
      const float* w = m_token.value.data() + row * d;
      for (std::size_t j = 0; j < d; ++j) o[j] += w[j] * inv;
    }
  }
}

void TransformerEncoder::block_forward(Block& b, const std::vector<float>& xv, std::vector<float>& yv) {
  const std::size_t rows = m_n * m_t, d = m_c.dim, t = m_t, h = m_c.heads;
  const float* x = xv.data();
  float* h1 = sized(b.h1, rows * d);
  ops::layer_norm_forward(x, rows, d, b.norm1_w.value.data(), b.norm1_b.value.data(), h1, sized(b.mean1, rows),
                          sized(b.rstd1, rows));
  float* qkv = sized(b.qkv, rows * 3 * d);
  linear(h1, rows, b.in_w, b.in_b, qkv);
  float* probs = sized(b.probs, m_n * h * t * t);
  float* ctx = sized(b.ctx, rows * d);
  const ops::AttentionShape shape{t, d, h};
  for (std::size_t i = 0; i < m_n; ++i)
    ops::attention_forward(shape, qkv + i * t * 3 * d, m_keep.data() + i * t, probs + i * h * t * t, ctx + i * t * d);
  float* mid = sized(b.mid, rows * d);
  linear(ctx, rows, b.out_w, b.out_b, mid);
  dropout(mid, b.drop1, rows * d);
  add(mid, x, rows * d);
  float* h2 = sized(b.h2, rows * d);
  ops::layer_norm_forward(mid, rows, d, b.norm2_w.value.data(), b.norm2_b.value.data(), h2, sized(b.mean2, rows),
                          sized(b.rstd2, rows));
  float* f1 = sized(b.f1, rows * m_c.ffn);
  linear(h2, rows, b.lin1_w, b.lin1_b, f1);
  float* g = sized(b.g, rows * m_c.ffn);
  ops::gelu_forward(f1, g, rows * m_c.ffn);
  float* y = sized(yv, rows * d);
  linear(g, rows, b.lin2_w, b.lin2_b, y);
  dropout(y, b.drop2, rows * d);
  add(y, mid, rows * d);
}

void TransformerEncoder::forward(const Tensor& in, Tensor& out) {
  m_dropped = m_training && m_c.dropout > 0.0f;
  embed(in);
  for (std::size_t i = 0; i < m_blocks.size(); ++i) block_forward(m_blocks[i], m_x[i], m_x[i + 1]);
  const std::size_t rows = m_n * m_t, d = m_c.dim;
  float* z = sized(m_z, rows * d);
  ops::layer_norm_forward(m_x.back().data(), rows, d, m_norm_w.value.data(), m_norm_b.value.data(), z,
                          sized(m_mean, rows), sized(m_rstd, rows));
  out.resize({m_n, d});
  for (std::size_t i = 0; i < m_n; ++i) {
    float* o = out.ptr() + i * d;
    if (m_cls) {
      std::copy(z + i * m_t * d, z + (i * m_t + 1) * d, o);
      continue;
    }
    if (m_count[i] == 0.0f) continue;
    for (std::size_t j = 0; j < m_t; ++j)
      if (m_keep[i * m_t + j] != 0) add(o, z + (i * m_t + j) * d, d);
    const float inv = 1.0f / m_count[i];
    for (std::size_t k = 0; k < d; ++k) o[k] *= inv;
  }
  add_bag(out);
}

void TransformerEncoder::block_backward(Block& b, const std::vector<float>& xv, std::vector<float>& dxv) {
  const std::size_t rows = m_n * m_t, d = m_c.dim, t = m_t, h = m_c.heads, f = m_c.ffn;
  float* dx = dxv.data();
  float* dtmp = sized(m_dtmp, rows * d);
  float* dwide = sized(m_dwide, rows * std::max(f, 3 * d));
  std::vector<float>& dln = m_scratch; // LayerNorm input gradients, then attention scores
  // Feed-forward branch: dx is d(output) = d(mid) through the residual.
  std::copy(dx, dx + rows * d, dtmp);
  if (m_dropped)
    for (std::size_t i = 0; i < rows * d; ++i) dtmp[i] *= b.drop2[i];
  linear_backward(b.g.data(), dtmp, rows, b.lin2_w, b.lin2_b, dwide);
  ops::gelu_backward(b.f1.data(), dwide, dwide, rows * f);
  linear_backward(b.h2.data(), dwide, rows, b.lin1_w, b.lin1_b, dtmp);
  ops::layer_norm_backward(b.mid.data(), dtmp, rows, d, b.norm2_w.value.data(), b.mean2.data(), b.rstd2.data(),
                           sized(dln, rows * d), b.norm2_w.grad.data(), b.norm2_b.grad.data());
  add(dx, dln.data(), rows * d);
  // Attention branch: dx is now d(mid) = d(input) through the residual.
  std::copy(dx, dx + rows * d, dtmp);
  if (m_dropped)
    for (std::size_t i = 0; i < rows * d; ++i) dtmp[i] *= b.drop1[i];
  float* dctx = sized(dln, rows * d);
  linear_backward(b.ctx.data(), dtmp, rows, b.out_w, b.out_b, dctx);
  float* dqkv = sized(m_dqkv, rows * 3 * d);
  float* scores = sized(m_scores, t * t);
  const ops::AttentionShape shape{t, d, h};
  for (std::size_t i = 0; i < m_n; ++i)
    ops::attention_backward(shape, b.qkv.data() + i * t * 3 * d, b.probs.data() + i * h * t * t, dctx + i * t * d,
                            dqkv + i * t * 3 * d, scores);
  linear_backward(b.h1.data(), dqkv, rows, b.in_w, b.in_b, dtmp);
  ops::layer_norm_backward(xv.data(), dtmp, rows, d, b.norm1_w.value.data(), b.mean1.data(), b.rstd1.data(),
                           sized(dln, rows * d), b.norm1_w.grad.data(), b.norm1_b.grad.data());
  add(dx, dln.data(), rows * d);
}

void TransformerEncoder::backward(const Tensor& /*in*/, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  // LayerNorm and embedding gradients accumulate; the linear layers' are overwritten.
  for (Param* p : {&m_token, &m_position, &m_norm_w, &m_norm_b}) p->clear_grad();
  for (Block& b : m_blocks)
    for (Param* p : {&b.norm1_w, &b.norm1_b, &b.norm2_w, &b.norm2_b}) p->clear_grad();
  const std::size_t rows = m_n * m_t, d = m_c.dim;
  // d(pooled) -> dz over the pooled rows.
  float* dz = sized(m_dtmp, rows * d);
  std::fill(dz, dz + rows * d, 0.0f);
  for (std::size_t i = 0; i < m_n; ++i) {
    const float* g = dout.ptr() + i * d;
    if (m_cls) {
      std::copy(g, g + d, dz + i * m_t * d);
      continue;
    }
    if (m_count[i] == 0.0f) continue;
    const float inv = 1.0f / m_count[i];
    for (std::size_t j = 0; j < m_t; ++j)
      if (m_keep[i * m_t + j] != 0)
        for (std::size_t k = 0; k < d; ++k) dz[(i * m_t + j) * d + k] = g[k] * inv;
  }
  ops::layer_norm_backward(m_x.back().data(), dz, rows, d, m_norm_w.value.data(), m_mean.data(), m_rstd.data(),
                           sized(m_dx, rows * d), m_norm_w.grad.data(), m_norm_b.grad.data());
  for (std::size_t i = m_blocks.size(); i-- > 0;) block_backward(m_blocks[i], m_x[i], m_dx);
  if (m_dropped)
    for (std::size_t i = 0; i < rows * d; ++i) m_dx[i] *= m_drop0[i];
  for (std::size_t r = 0; r < rows; ++r) {
    add(m_token.grad_row(m_ids[r]), m_dx.data() + r * d, d);
    add(m_position.grad.data() + (r % m_t) * d, m_dx.data() + r * d, d);
  }
  for (std::size_t i = 0; i < m_n; ++i) {
    if (m_bag_count[i] == 0.0f) continue;
    const float inv = 1.0f / m_bag_count[i];
    for (std::size_t k = 0; k < m_c.hash_slots; ++k) {
      const std::size_t row = m_bag[i * m_c.hash_slots + k];
      if (row == 0) continue;
      float* g = m_token.grad_row(row);
      for (std::size_t j = 0; j < d; ++j) g[j] += dout.data[i * d + j] * inv;
    }
  }
  if (din != nullptr) din->resize({m_n, m_c.positions + m_c.hash_slots}); // ids have no gradient
}

void TransformerEncoder::freeze() {
  for (Block& b : m_blocks)
    for (Param* w : {&b.in_w, &b.out_w, &b.lin1_w, &b.lin2_w}) keep_transposed(*w);
}

std::vector<Param*> TransformerEncoder::params() {
  std::vector<Param*> out = {&m_token, &m_position};
  for (Block& b : m_blocks)
    for (Param* p : {&b.norm1_w, &b.norm1_b, &b.in_w, &b.in_b, &b.out_w, &b.out_b, &b.norm2_w, &b.norm2_b, &b.lin1_w,
                     &b.lin1_b, &b.lin2_w, &b.lin2_b})
      out.push_back(p);
  out.push_back(&m_norm_w);
  out.push_back(&m_norm_b);
  return out;
}

nlohmann::json TransformerEncoder::config() const {
  return {{"type", "transformer_encoder"},
          {"prefix", m_prefix},
          {"num_embeddings", m_c.rows},
          {"max_positions", m_c.positions},
          {"hash_slots", m_c.hash_slots},
          {"d_model", m_c.dim},
          {"nhead", m_c.heads},
          {"num_layers", m_c.layers},
          {"dim_feedforward", m_c.ffn},
          {"dropout", m_c.dropout},
          {"activation", "gelu"},
          {"norm_first", true},
          {"layer_norm_eps", 1e-5},
          {"pooling", m_c.pooling},
          {"padding_idx", 0}};
}

double TransformerEncoder::flops_per_sample() const {
  // At full length: the four projections, the feed-forward and the two attention products.
  const auto t = static_cast<double>(m_c.positions), d = static_cast<double>(m_c.dim);
  const auto f = static_cast<double>(m_c.ffn);
  return static_cast<double>(m_c.layers) * t * (2.0 * (4.0 * d * d + 2.0 * d * f) + 4.0 * t * d);
}

} // namespace kf::trainer
