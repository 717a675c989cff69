// The GPU engine's kernels (see kernels.h).
#include "runtime/cuda/kernels.h"

#include "runtime/cuda/launch.h"

#include <cuda_runtime.h>

namespace kf::trainer::cuda {
namespace {

constexpr int k_threads = 256;

__global__ void add_bias_kernel(float* y, const float* b, int n, int out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n * out) y[i] += b[i % out];
}

__global__ void bias_grad_kernel(const float* dy, float* db, int n, int out) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= out) return;
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += dy[i * out + j];
  db[j] = s;
}

__global__ void act_fwd_kernel(int kind, const float* x, float* y, int count) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float v = x[i];
  y[i] = kind == k_relu ? (v > 0.0f ? v : 0.0f) : kind == k_tanh ? tanhf(v) : 1.0f / (1.0f + expf(-v));
}

__global__ void act_bwd_kernel(int kind, const float* x, const float* y, const float* dy, float* dx, int count) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float d = kind == k_relu ? (x[i] > 0.0f ? 1.0f : 0.0f)
                  : kind == k_tanh ? 1.0f - y[i] * y[i]
                                   : y[i] * (1.0f - y[i]);
  dx[i] = dy[i] * d;
}

__global__ void softmax_xent_kernel(const float* logits, const unsigned char* labels, int n, int k, float scale,
                                    float* dlogits, float* sums) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float* z = logits + i * k;
  float zmax = z[0];
  int argmax = 0;
  for (int j = 1; j < k; ++j)
    if (z[j] > zmax) {
      zmax = z[j];
      argmax = j;
    }
  float sum = 0.0f;
  for (int j = 0; j < k; ++j) sum += expf(z[j] - zmax);
  const int label = labels[i];
  const float logp = z[label] - zmax - logf(sum);
  atomicAdd(&sums[0], -logp);
  if (argmax == label) atomicAdd(&sums[1], 1.0f);
  if (dlogits != nullptr)
    for (int j = 0; j < k; ++j) dlogits[i * k + j] = (expf(z[j] - zmax) / sum - (j == label ? 1.0f : 0.0f)) * scale;
}

__global__ void sgd_kernel(float* w, float* m, const float* g, const float* decay, int count, float lr, float mu,
                           float wd) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float grad = g[i] + wd * decay[i] * w[i];
  m[i] = mu * m[i] + grad;
  w[i] -= lr * m[i];
}

__global__ void adam_kernel(float* w, float* m, float* v, const float* g, const float* decay, int count, float lr,
                            float b1, float b2, float eps, float c1, float c2, float wd, bool decoupled) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float grad = decoupled ? g[i] : g[i] + wd * decay[i] * w[i];
  if (decoupled) w[i] *= 1.0f - lr * wd * decay[i];
  m[i] = b1 * m[i] + (1.0f - b1) * grad;
  v[i] = b2 * v[i] + (1.0f - b2) * grad * grad;
  w[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
}

__global__ void im2col_kernel(const float* x, float* col, int n, int c, int h, int w, int k, int pad) {
  const long long hw = static_cast<long long>(h) * w, nhw = n * hw;
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long long>(c) * k * k * nhw) return;
  const long long row = i / nhw, at = i % nhw;
  const int kj = static_cast<int>(row % k), ki = static_cast<int>(row / k % k), ch = static_cast<int>(row / (k * k));
  const int s = static_cast<int>(at / hw), y = static_cast<int>(at % hw / w), xx = static_cast<int>(at % w);
  const int iy = y + ki - pad, ix = xx + kj - pad;
  const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
  col[i] = inside ? x[((static_cast<long long>(s) * c + ch) * h + iy) * w + ix] : 0.0f;
}

__global__ void col2im_kernel(const float* dcol, float* dx, int n, int c, int h, int w, int k, int pad) {
  const long long hw = static_cast<long long>(h) * w, nhw = n * hw;
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long long>(n) * c * hw) return;
  const int ix = static_cast<int>(i % w), iy = static_cast<int>(i / w % h);
  const int ch = static_cast<int>(i / hw % c), s = static_cast<int>(i / (hw * c));
  float sum = 0.0f;
  for (int ki = 0; ki < k; ++ki) {
    const int y = iy - ki + pad;
    if (y < 0 || y >= h) continue;
    for (int kj = 0; kj < k; ++kj) {
      const int xx = ix - kj + pad;
      if (xx < 0 || xx >= w) continue;
      sum += dcol[((static_cast<long long>(ch) * k + ki) * k + kj) * nhw + s * hw + y * w + xx];
    }
  }
  dx[i] = sum;
}

__global__ void conv_output_kernel(const float* tmp, const float* b, float* y, int n, int f, int hw) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long long>(n) * f * hw) return;
  const int p = static_cast<int>(i % hw), ch = static_cast<int>(i / hw % f);
  const int s = static_cast<int>(i / (static_cast<long long>(hw) * f));
  y[i] = tmp[(static_cast<long long>(ch) * n + s) * hw + p] + (b != nullptr ? b[ch] : 0.0f);
}

__global__ void conv_output_grad_kernel(const float* dy, float* dtmp, int n, int f, int hw) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long long>(n) * f * hw) return;
  const int p = static_cast<int>(i % hw), ch = static_cast<int>(i / hw % f);
  const int s = static_cast<int>(i / (static_cast<long long>(hw) * f));
  dtmp[(static_cast<long long>(ch) * n + s) * hw + p] = dy[i];
}

__global__ void row_sums_kernel(const float* a, float* sums, int len) {
  __shared__ float partial[k_threads];
  const float* row = a + static_cast<long long>(blockIdx.x) * len;
  float s = 0.0f;
  for (int i = threadIdx.x; i < len; i += blockDim.x) s += row[i];
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) sums[blockIdx.x] = partial[0];
}

__global__ void maxpool_forward_kernel(const float* x, float* y, int* argmax, int planes, int h, int w) {
  const int oh = h / 2, ow = w / 2;
  const long long o = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= static_cast<long long>(planes) * oh * ow) return;
  const int ox = static_cast<int>(o % ow), oy = static_cast<int>(o / ow % oh);
  const long long base = o / (static_cast<long long>(oh) * ow) * h * w;
  long long best = base + 2LL * oy * w + 2 * ox;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      const long long idx = base + static_cast<long long>(2 * oy + dy) * w + 2 * ox + dx;
      if (x[idx] > x[best]) best = idx;
    }
  argmax[o] = static_cast<int>(best);
  y[o] = x[best];
}

__global__ void maxpool_backward_kernel(const float* dy, const int* argmax, float* dx, int outputs) {
  const int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o < outputs) dx[argmax[o]] = dy[o];
}

int blocks(long long count) { return static_cast<int>((count + k_threads - 1) / k_threads); }

} // namespace

void add_bias(float* y, const float* b, int n, int out, cudaStream_t s) {
  KF_LAUNCH(add_bias_kernel, blocks(n * out), k_threads, s, y, b, n, out);
}
void bias_grad(const float* dy, float* db, int n, int out, cudaStream_t s) {
  KF_LAUNCH(bias_grad_kernel, blocks(out), k_threads, s, dy, db, n, out);
}
void activation_forward(int kind, const float* x, float* y, int count, cudaStream_t s) {
  KF_LAUNCH(act_fwd_kernel, blocks(count), k_threads, s, kind, x, y, count);
}
void activation_backward(int kind, const float* x, const float* y, const float* dy, float* dx, int count,
                         cudaStream_t s) {
  KF_LAUNCH(act_bwd_kernel, blocks(count), k_threads, s, kind, x, y, dy, dx, count);
}
void softmax_xent(const float* logits, const std::uint8_t* labels, int n, int k, float scale, float* dlogits,
                  float* sums, cudaStream_t s) {
  KF_LAUNCH(softmax_xent_kernel, blocks(n), k_threads, s, logits, labels, n, k, scale, dlogits, sums);
}
void im2col(const float* x, float* col, int n, int c, int h, int w, int k, int pad, cudaStream_t s) {
  KF_LAUNCH(im2col_kernel, blocks(static_cast<long long>(c) * k * k * n * h * w), k_threads, s, x, col, n, c, h, w, k,
            pad);
}
void col2im(const float* dcol, float* dx, int n, int c, int h, int w, int k, int pad, cudaStream_t s) {
  KF_LAUNCH(col2im_kernel, blocks(static_cast<long long>(n) * c * h * w), k_threads, s, dcol, dx, n, c, h, w, k, pad);
}
void conv_output(const float* tmp, const float* b, float* y, int n, int f, int hw, cudaStream_t s) {
  KF_LAUNCH(conv_output_kernel, blocks(static_cast<long long>(n) * f * hw), k_threads, s, tmp, b, y, n, f, hw);
}
void conv_output_grad(const float* dy, float* dtmp, int n, int f, int hw, cudaStream_t s) {
  KF_LAUNCH(conv_output_grad_kernel, blocks(static_cast<long long>(n) * f * hw), k_threads, s, dy, dtmp, n, f, hw);
}
void row_sums(const float* a, float* sums, int rows, int len, cudaStream_t s) {
  KF_LAUNCH(row_sums_kernel, rows, k_threads, s, a, sums, len);
}
void maxpool_forward(const float* x, float* y, int* argmax, int planes, int h, int w, cudaStream_t s) {
  KF_LAUNCH(maxpool_forward_kernel, blocks(static_cast<long long>(planes) * (h / 2) * (w / 2)), k_threads, s, x, y,
            argmax, planes, h, w);
}
void maxpool_backward(const float* dy, const int* argmax, float* dx, int outputs, int inputs, cudaStream_t s) {
  cudaMemsetAsync(dx, 0, static_cast<std::size_t>(inputs) * sizeof(float), s);
  KF_LAUNCH(maxpool_backward_kernel, blocks(outputs), k_threads, s, dy, argmax, dx, outputs);
}
void sgd_update(float* w, float* m, const float* g, const float* decay, int count, float lr, float mu, float wd,
                cudaStream_t s) {
  KF_LAUNCH(sgd_kernel, blocks(count), k_threads, s, w, m, g, decay, count, lr, mu, wd);
}
void adam_update(float* w, float* m, float* v, const float* g, const float* decay, int count, float lr, float b1,
                 float b2, float eps, float c1, float c2, float wd, bool decoupled, cudaStream_t s) {
  KF_LAUNCH(adam_kernel, blocks(count), k_threads, s, w, m, v, g, decay, count, lr, b1, b2, eps, c1, c2, wd, decoupled);
}

} // namespace kf::trainer::cuda
