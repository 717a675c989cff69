// The text models' kernels (see text_kernels.h).
#include "runtime/cuda/text_kernels.h"

#include "runtime/cuda/launch.h"

#include <cuda_runtime.h>

namespace kf::trainer::cuda {
namespace {

constexpr int k_threads = 256;

int blocks(long long count) { return static_cast<int>((count + k_threads - 1) / k_threads); }

__device__ long long thread_index() { return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; }

__global__ void bag_forward_kernel(const int* ids, const float* table, float* out, int n, int slots, int dim) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * dim) return;
  const long long i = e / dim, k = e % dim;
  float sum = 0.0f;
  int count = 0;
  for (int s = 0; s < slots; ++s) {
    const int id = ids[i * slots + s];
    if (id == 0) continue;
    sum += table[static_cast<long long>(id) * dim + k];
    ++count;
  }
  out[e] = count > 1 ? sum * (1.0f / static_cast<float>(count)) : sum;
}

__device__ int nonzero(const int* ids, int count) {
  int c = 0;
  for (int s = 0; s < count; ++s) c += ids[s] != 0 ? 1 : 0;
  return c;
}

// dtable[ids[i, s]] += dout[i] / count_i.
__global__ void bag_backward_kernel(const int* ids, const float* dout, float* dtable, int n, int slots, int dim) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * dim) return;
  const long long i = e / dim, k = e % dim;
  const int count = nonzero(ids + i * slots, slots);
  if (count == 0) return;
  const float g = dout[e] * (1.0f / static_cast<float>(count));
  for (int s = 0; s < slots; ++s) {
    const int id = ids[i * slots + s];
    if (id != 0) atomicAdd(&dtable[static_cast<long long>(id) * dim + k], g);
  }
}

__global__ void bag_add_kernel(const int* bag, const float* token, float* out, int n, int slots, int d) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * d) return;
  const long long i = e / d, k = e % d;
  const int count = nonzero(bag + i * slots, slots);
  if (count == 0) return;
  const float inv = 1.0f / static_cast<float>(count);
  float o = out[e];
  for (int s = 0; s < slots; ++s) {
    const int row = bag[i * slots + s];
    if (row != 0) o += token[static_cast<long long>(row) * d + k] * inv;
  }
  out[e] = o;
}

__global__ void embed_kernel(const int* ids, const float* token, const float* position, float* x, int rows, int t,
                             int d) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(rows) * d) return;
  const long long r = e / d, k = e % d;
  x[e] = token[static_cast<long long>(ids[r]) * d + k] + position[(r % t) * d + k];
}

__global__ void token_grad_kernel(const int* ids, const float* dx, float* dtoken, int rows, int d) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(rows) * d) return;
  const long long r = e / d, k = e % d;
  atomicAdd(&dtoken[static_cast<long long>(ids[r]) * d + k], dx[e]);
}

__global__ void position_grad_kernel(const float* dx, float* dposition, int n, int t, int d) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(t) * d) return;
  const long long j = e / d, k = e % d;
  float sum = 0.0f;
  for (long long i = 0; i < n; ++i) sum += dx[(i * t + j) * d + k];
  dposition[e] = sum;
}

// One thread per row, in the CPU's order: mean and variance summed in double.
__global__ void layer_norm_kernel(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                  float* rstd, int rows, int d) {
  const long long r = thread_index();
  if (r >= rows) return;
  const float* xr = x + r * d;
  float* yr = y + r * d;
  double sum = 0.0;
  for (int i = 0; i < d; ++i) sum += static_cast<double>(xr[i]);
  const auto mu = static_cast<float>(sum / static_cast<double>(d));
  double var = 0.0;
  for (int i = 0; i < d; ++i) var += static_cast<double>((xr[i] - mu) * (xr[i] - mu));
  const auto rs = static_cast<float>(1.0 / sqrt(var / static_cast<double>(d) + static_cast<double>(1e-5f)));
  for (int i = 0; i < d; ++i) yr[i] = (xr[i] - mu) * rs * gamma[i] + beta[i];
  mean[r] = mu;
  rstd[r] = rs;
}

__global__ void layer_norm_dx_kernel(const float* x, const float* dy, const float* gamma, const float* mean,
                                     const float* rstd, float* dx, int rows, int d) {
  const long long r = thread_index();
  if (r >= rows) return;
  const float* xr = x + r * d;
  const float* dyr = dy + r * d;
  const float mu = mean[r], rs = rstd[r];
  float sum_g = 0.0f, sum_gx = 0.0f;
  for (int i = 0; i < d; ++i) {
    const float g = dyr[i] * gamma[i];
    sum_g += g;
    sum_gx += g * ((xr[i] - mu) * rs);
  }
  const float inv_d = 1.0f / static_cast<float>(d);
  const float mean_g = sum_g * inv_d, mean_gx = sum_gx * inv_d;
  for (int i = 0; i < d; ++i) dx[r * d + i] = rs * (dyr[i] * gamma[i] - mean_g - (xr[i] - mu) * rs * mean_gx);
}

// One thread per column: dgamma and dbeta summed over the rows in order.
__global__ void layer_norm_params_kernel(const float* x, const float* dy, const float* mean, const float* rstd,
                                         float* dgamma, float* dbeta, int rows, int d) {
  const long long i = thread_index();
  if (i >= d) return;
  float g = 0.0f, b = 0.0f;
  for (long long r = 0; r < rows; ++r) {
    const float v = dy[r * d + i];
    g += v * ((x[r * d + i] - mean[r]) * rstd[r]);
    b += v;
  }
  dgamma[i] = g;
  dbeta[i] = b;
}

// erf by Abramowitz & Stegun 7.1.26, as transformer_ops.cpp computes it.
__device__ float erf_as(float x) {
  const float a = fabsf(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly =
      t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  return copysignf(1.0f - poly * expf(-a * a), x);
}

constexpr float k_sqrt2 = 1.41421356237309504880f;
constexpr float k_inv_sqrt_2pi = 0.398942280401432677940f;

__global__ void gelu_kernel(const float* x, float* y, long long count) {
  const long long i = thread_index();
  if (i < count) y[i] = 0.5f * x[i] * (1.0f + erf_as(x[i] * k_sqrt2 * 0.5f));
}

__global__ void gelu_backward_kernel(const float* x, const float* dy, float* dx, long long count) {
  const long long i = thread_index();
  if (i >= count) return;
  const float cdf = 0.5f * (1.0f + erf_as(x[i] * k_sqrt2 * 0.5f));
  const float pdf = k_inv_sqrt_2pi * expf(-0.5f * x[i] * x[i]);
  dx[i] = dy[i] * (cdf + x[i] * pdf);
}

__global__ void add_kernel(float* y, const float* x, long long count) {
  const long long i = thread_index();
  if (i < count) y[i] += x[i];
}

// The pieces of one head of one text that a thread of the attention kernels works on.
struct Head {
  long long text, head, pos; // text i, head h, position a (a query, or a key)
  int t, d, dh;
  __device__ Head(long long e, int t_, int d_, int heads) : t(t_), d(d_), dh(d_ / heads) {
    pos = e % t;
    head = e / t % heads;
    text = e / (static_cast<long long>(t) * heads);
  }
  // Row `at` of text i in a [rows, width] matrix, at column `col` of head h.
  __device__ long long at(long long row, int width, int col) const {
    return (text * t + row) * width + col + head * dh;
  }
  // Row `row` of this head's [t, t] matrix (probabilities, dS).
  __device__ long long square(long long row, int heads) const { return ((text * heads + head) * t + row) * t; }
};

__global__ void attention_kernel(const float* qkv, const unsigned char* keep, float* probs, float* ctx, int n, int t,
                                 int d, int heads) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * heads * t) return;
  const Head h(e, t, d, heads);
  const float scale = 1.0f / sqrtf(static_cast<float>(h.dh));
  const float* q = qkv + h.at(h.pos, 3 * d, 0);
  float* p = probs + h.square(h.pos, heads);
  float top = -INFINITY;
  for (int b = 0; b < t; ++b) {
    p[b] = 0.0f;
    if (keep[h.text * t + b] == 0) continue;
    const float* k = qkv + h.at(b, 3 * d, d);
    float s = 0.0f;
    for (int c = 0; c < h.dh; ++c) s += q[c] * k[c];
    p[b] = scale * s;
    top = fmaxf(top, p[b]);
  }
  float* out = ctx + h.at(h.pos, d, 0);
  if (top == -INFINITY) {
    for (int c = 0; c < h.dh; ++c) out[c] = 0.0f;
    return;
  }
  float sum = 0.0f;
  for (int b = 0; b < t; ++b) {
    p[b] = keep[h.text * t + b] != 0 ? expf(p[b] - top) : 0.0f;
    sum += p[b];
  }
  const float inv = 1.0f / sum;
  for (int b = 0; b < t; ++b) p[b] *= inv;
  for (int c = 0; c < h.dh; ++c) {
    float acc = 0.0f;
    for (int b = 0; b < t; ++b) acc += p[b] * qkv[h.at(b, 3 * d, 2 * d) + c];
    out[c] = acc;
  }
}

// Per query a: dS[a, :] = P (dP - sum(dP P)) with dP = dC V^T, then dQ = scale dS K.
__global__ void attention_dq_kernel(const float* qkv, const float* probs, const float* dctx, float* dqkv, float* ds,
                                    int n, int t, int d, int heads) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * heads * t) return;
  const Head h(e, t, d, heads);
  const float scale = 1.0f / sqrtf(static_cast<float>(h.dh));
  const float* dc = dctx + h.at(h.pos, d, 0);
  const float* p = probs + h.square(h.pos, heads);
  float* row = ds + h.square(h.pos, heads);
  float dot = 0.0f;
  for (int b = 0; b < t; ++b) {
    const float* v = qkv + h.at(b, 3 * d, 2 * d);
    float dp = 0.0f;
    for (int c = 0; c < h.dh; ++c) dp += dc[c] * v[c];
    row[b] = dp;
    dot += dp * p[b];
  }
  for (int b = 0; b < t; ++b) row[b] = p[b] * (row[b] - dot);
  float* dq = dqkv + h.at(h.pos, 3 * d, 0);
  for (int c = 0; c < h.dh; ++c) {
    float acc = 0.0f;
    for (int b = 0; b < t; ++b) acc += row[b] * qkv[h.at(b, 3 * d, d) + c];
    dq[c] = scale * acc;
  }
}

// Per key b: dK = scale dS^T Q, dV = P^T dC.
__global__ void attention_dkv_kernel(const float* qkv, const float* probs, const float* dctx, float* dqkv,
                                     const float* ds, int n, int t, int d, int heads) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * heads * t) return;
  const Head h(e, t, d, heads);
  const float scale = 1.0f / sqrtf(static_cast<float>(h.dh));
  float* dk = dqkv + h.at(h.pos, 3 * d, d);
  float* dv = dqkv + h.at(h.pos, 3 * d, 2 * d);
  for (int c = 0; c < h.dh; ++c) {
    float k_acc = 0.0f, v_acc = 0.0f;
    for (int a = 0; a < t; ++a) {
      k_acc += ds[h.square(a, heads) + h.pos] * qkv[h.at(a, 3 * d, 0) + c];
      v_acc += probs[h.square(a, heads) + h.pos] * dctx[h.at(a, d, 0) + c];
    }
    dk[c] = scale * k_acc;
    dv[c] = v_acc;
  }
}

__global__ void pool_kernel(const float* z, const unsigned char* keep, const float* count, float* out, int n, int t,
                            int d, bool cls) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * d) return;
  const long long i = e / d, k = e % d;
  if (cls) {
    out[e] = z[i * t * d + k];
    return;
  }
  float sum = 0.0f;
  if (count[i] != 0.0f) {
    for (long long j = 0; j < t; ++j)
      if (keep[i * t + j] != 0) sum += z[(i * t + j) * d + k];
    sum *= 1.0f / count[i];
  }
  out[e] = sum;
}

__global__ void pool_backward_kernel(const float* dout, const unsigned char* keep, const float* count, float* dz,
                                     int n, int t, int d, bool cls) {
  const long long e = thread_index();
  if (e >= static_cast<long long>(n) * t * d) return;
  const long long r = e / d, k = e % d, i = r / t, j = r % t;
  const float g = dout[i * d + k];
  if (cls)
    dz[e] = j == 0 ? g : 0.0f;
  else
    dz[e] = count[i] != 0.0f && keep[r] != 0 ? g * (1.0f / count[i]) : 0.0f;
}

} // namespace

void embedding_bag_forward(const int* ids, const float* table, float* out, int n, int slots, int dim, cudaStream_t s) {
  KF_LAUNCH(bag_forward_kernel, blocks(static_cast<long long>(n) * dim), k_threads, s, ids, table, out, n, slots, dim);
}
void embedding_bag_backward(const int* ids, const float* dout, float* dtable, int n, int slots, int dim,
                            cudaStream_t s) {
  KF_LAUNCH(bag_backward_kernel, blocks(static_cast<long long>(n) * dim), k_threads, s, ids, dout, dtable, n, slots,
            dim);
}
void embed(const int* ids, const float* token, const float* position, float* x, int rows, int t, int d,
           cudaStream_t s) {
  KF_LAUNCH(embed_kernel, blocks(static_cast<long long>(rows) * d), k_threads, s, ids, token, position, x, rows, t, d);
}
void embed_backward(const int* ids, const float* dx, float* dtoken, float* dposition, int n, int t, int d,
                    cudaStream_t s) {
  const long long rows = static_cast<long long>(n) * t;
  KF_LAUNCH(token_grad_kernel, blocks(rows * d), k_threads, s, ids, dx, dtoken, static_cast<int>(rows), d);
  KF_LAUNCH(position_grad_kernel, blocks(static_cast<long long>(t) * d), k_threads, s, dx, dposition, n, t, d);
}
void bag_add(const int* bag, const float* token, float* out, int n, int slots, int d, cudaStream_t s) {
  KF_LAUNCH(bag_add_kernel, blocks(static_cast<long long>(n) * d), k_threads, s, bag, token, out, n, slots, d);
}
void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                        int rows, int d, cudaStream_t s) {
  KF_LAUNCH(layer_norm_kernel, blocks(rows), k_threads, s, x, gamma, beta, y, mean, rstd, rows, d);
}
void layer_norm_backward(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                         float* dx, float* dgamma, float* dbeta, int rows, int d, cudaStream_t s) {
  KF_LAUNCH(layer_norm_dx_kernel, blocks(rows), k_threads, s, x, dy, gamma, mean, rstd, dx, rows, d);
  KF_LAUNCH(layer_norm_params_kernel, blocks(d), k_threads, s, x, dy, mean, rstd, dgamma, dbeta, rows, d);
}
void gelu_forward(const float* x, float* y, long long count, cudaStream_t s) {
  KF_LAUNCH(gelu_kernel, blocks(count), k_threads, s, x, y, count);
}
void gelu_backward(const float* x, const float* dy, float* dx, long long count, cudaStream_t s) {
  KF_LAUNCH(gelu_backward_kernel, blocks(count), k_threads, s, x, dy, dx, count);
}
void add_to(float* y, const float* x, long long count, cudaStream_t s) {
  KF_LAUNCH(add_kernel, blocks(count), k_threads, s, y, x, count);
}
void attention_forward(const float* qkv, const unsigned char* keep, float* probs, float* ctx, int n, int t, int d,
                       int heads, cudaStream_t s) {
  KF_LAUNCH(attention_kernel, blocks(static_cast<long long>(n) * heads * t), k_threads, s, qkv, keep, probs, ctx, n, t,
            d, heads);
}
void attention_backward(const float* qkv, const float* probs, const float* dctx, float* dqkv, float* ds, int n, int t,
                        int d, int heads, cudaStream_t s) {
  const long long threads = static_cast<long long>(n) * heads * t;
  KF_LAUNCH(attention_dq_kernel, blocks(threads), k_threads, s, qkv, probs, dctx, dqkv, ds, n, t, d, heads);
  KF_LAUNCH(attention_dkv_kernel, blocks(threads), k_threads, s, qkv, probs, dctx, dqkv, ds, n, t, d, heads);
}
void pool_forward(const float* z, const unsigned char* keep, const float* count, float* out, int n, int t, int d,
                  bool cls, cudaStream_t s) {
  KF_LAUNCH(pool_kernel, blocks(static_cast<long long>(n) * d), k_threads, s, z, keep, count, out, n, t, d, cls);
}
void pool_backward(const float* dout, const unsigned char* keep, const float* count, float* dz, int n, int t, int d,
                   bool cls, cudaStream_t s) {
  KF_LAUNCH(pool_backward_kernel, blocks(static_cast<long long>(n) * t * d), k_threads, s, dout, keep, count, dz, n, t,
            d, cls);
}

} // namespace kf::trainer::cuda
