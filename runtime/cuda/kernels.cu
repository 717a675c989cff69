// The GPU engine's kernels (see kernels.h).
#include "runtime/cuda/kernels.h"

#include <cuda_runtime.h>

namespace kf::trainer::cuda {
namespace {

constexpr int k_threads = 256;
int blocks(int count) { return (count + k_threads - 1) / k_threads; }

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
                            float b1, float b2, float eps, float c1, float c2, float wd) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float grad = g[i] + wd * decay[i] * w[i];
  m[i] = b1 * m[i] + (1.0f - b1) * grad;
  v[i] = b2 * v[i] + (1.0f - b2) * grad * grad;
  w[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
}

} // namespace

void add_bias(float* y, const float* b, int n, int out, cudaStream_t s) {
  add_bias_kernel<<<blocks(n * out), k_threads, 0, s>>>(y, b, n, out);
}
void bias_grad(const float* dy, float* db, int n, int out, cudaStream_t s) {
  bias_grad_kernel<<<blocks(out), k_threads, 0, s>>>(dy, db, n, out);
}
void activation_forward(int kind, const float* x, float* y, int count, cudaStream_t s) {
  act_fwd_kernel<<<blocks(count), k_threads, 0, s>>>(kind, x, y, count);
}
void activation_backward(int kind, const float* x, const float* y, const float* dy, float* dx, int count,
                         cudaStream_t s) {
  act_bwd_kernel<<<blocks(count), k_threads, 0, s>>>(kind, x, y, dy, dx, count);
}
void softmax_xent(const float* logits, const std::uint8_t* labels, int n, int k, float scale, float* dlogits,
                  float* sums, cudaStream_t s) {
  softmax_xent_kernel<<<blocks(n), k_threads, 0, s>>>(logits, labels, n, k, scale, dlogits, sums);
}
void sgd_update(float* w, float* m, const float* g, const float* decay, int count, float lr, float mu, float wd,
                cudaStream_t s) {
  sgd_kernel<<<blocks(count), k_threads, 0, s>>>(w, m, g, decay, count, lr, mu, wd);
}
void adam_update(float* w, float* m, float* v, const float* g, const float* decay, int count, float lr, float b1,
                 float b2, float eps, float c1, float c2, float wd, cudaStream_t s) {
  adam_kernel<<<blocks(count), k_threads, 0, s>>>(w, m, v, g, decay, count, lr, b1, b2, eps, c1, c2, wd);
}

} // namespace kf::trainer::cuda
