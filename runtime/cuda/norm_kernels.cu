// The kernels of norm.cpp's device twins (see norm_kernels.h).
#include "runtime/cuda/norm_kernels.h"

#include "runtime/cuda/launch.h"

#include <cuda_runtime.h>

namespace kf::trainer::cuda {
namespace {

constexpr int k_threads = 256;

int blocks(long long count) { return static_cast<int>((count + k_threads - 1) / k_threads); }

// The sum of value(i) over the n*s elements i of channel blockIdx.x in an
// [n, c, s] batch, by the whole block; every thread gets it.
template <typename F>
__device__ double channel_sum(int n, int c, int s, F value) {
  __shared__ double partial[k_threads];
  const long long ch = blockIdx.x, count = static_cast<long long>(n) * s;
  double acc = 0.0;
  for (long long e = threadIdx.x; e < count; e += blockDim.x) acc += value((e / s * c + ch) * s + e % s);
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads(); // before anyone writes partial again
  return total;
}

__global__ void stats_kernel(const float* x, double* mean, double* var, int n, int c, int s) {
  const double count = static_cast<double>(n) * s;
  const double m = channel_sum(n, c, s, [x](long long i) { return static_cast<double>(x[i]); }) / count;
  const double v = channel_sum(n, c, s, [x, m](long long i) {
                     const double d = static_cast<double>(x[i]) - m;
                     return d * d;
                   }) / count;
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = m;
    var[blockIdx.x] = v;
  }
}

__global__ void sums_kernel(const float* x, double* sums, int n, int c, int s) {
  const double sum = channel_sum(n, c, s, [x](long long i) { return static_cast<double>(x[i]); });
  const double squares = channel_sum(n, c, s, [x](long long i) {
    const auto v = static_cast<double>(x[i]);
    return v * v;
  });
  if (threadIdx.x == 0) {
    sums[blockIdx.x] = sum;
    sums[c + blockIdx.x] = squares;
  }
}

__global__ void moments_kernel(const double* sums, double* mean, double* var, int c) {
  const int ch = blockIdx.x * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  const double count = sums[2 * c];
  if (count <= 0.0) return; // no rank had a sample: the running statistics are used
  mean[ch] = sums[ch] / count;
  var[ch] = fmax(0.0, sums[c + ch] / count - mean[ch] * mean[ch]);
}

__global__ void prepare_kernel(double* mean, double* var, float* running_mean, float* running_var, float* inv_std,
                               int c, bool batch, double count, float momentum, float eps) {
  const int ch = blockIdx.x * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  if (batch) {
    const double m = static_cast<double>(momentum), unbias = count / (count - 1.0);
    running_mean[ch] = static_cast<float>((1.0 - m) * static_cast<double>(running_mean[ch]) + m * mean[ch]);
    running_var[ch] = static_cast<float>((1.0 - m) * static_cast<double>(running_var[ch]) + m * var[ch] * unbias);
  } else {
    mean[ch] = static_cast<double>(running_mean[ch]);
    var[ch] = static_cast<double>(running_var[ch]);
  }
  inv_std[ch] = static_cast<float>(1.0 / sqrt(var[ch] + static_cast<double>(eps)));
}

__global__ void normalize_kernel(const float* x, float* y, float* xhat, const double* mean, const float* inv_std,
                                 const float* gamma, const float* beta, long long total, int c, int s) {
  const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= total) return;
  const int ch = static_cast<int>(e / s % c);
  const float h = (x[e] - static_cast<float>(mean[ch])) * inv_std[ch];
  xhat[e] = h;
  y[e] = gamma[ch] * h + beta[ch];
}

__global__ void backward_sums_kernel(const float* dy, const float* xhat, double* sums, float* dgamma, float* dbeta,
                                     int n, int c, int s) {
  const double sum_dy = channel_sum(n, c, s, [dy](long long i) { return static_cast<double>(dy[i]); });
  const double sum_dy_xhat = channel_sum(
      n, c, s, [dy, xhat](long long i) { return static_cast<double>(dy[i]) * static_cast<double>(xhat[i]); });
  if (threadIdx.x == 0) {
    sums[blockIdx.x] = sum_dy;
    sums[c + blockIdx.x] = sum_dy_xhat;
    dgamma[blockIdx.x] = static_cast<float>(sum_dy_xhat);
    dbeta[blockIdx.x] = static_cast<float>(sum_dy);
  }
}

__global__ void backward_dx_kernel(const float* dy, const float* xhat, const double* sums, const float* inv_std,
                                   const float* gamma, float* dx, long long total, int c, int s, bool batch,
                                   double count) {
  const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= total) return;
  const int ch = static_cast<int>(e / s % c);
  const float scale = gamma[ch] * inv_std[ch];
  const float mean_dy = batch ? static_cast<float>(sums[ch] / count) : 0.0f;
  const float mean_dy_xhat = batch ? static_cast<float>(sums[c + ch] / count) : 0.0f;
  dx[e] = scale * (dy[e] - mean_dy - xhat[e] * mean_dy_xhat);
}

__global__ void multiply_kernel(const float* a, const float* b, float* out, long long count) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < count) out[i] = a[i] * b[i];
}

__global__ void gap_forward_kernel(const float* x, float* y, int planes, int s) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= planes) return;
  double sum = 0.0;
  for (int k = 0; k < s; ++k) sum += static_cast<double>(x[static_cast<long long>(p) * s + k]);
  y[p] = static_cast<float>(sum / static_cast<double>(s));
}

__global__ void gap_backward_kernel(const float* dy, float* dx, long long total, int s) {
  const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e < total) dx[e] = dy[e / s] / static_cast<float>(s);
}

} // namespace

void batchnorm_stats(const float* x, double* mean, double* var, int n, int c, int s, cudaStream_t stream) {
  KF_LAUNCH(stats_kernel, c, k_threads, stream, x, mean, var, n, c, s);
}
void batchnorm_sums(const float* x, double* sums, int n, int c, int s, cudaStream_t stream) {
  KF_LAUNCH(sums_kernel, c, k_threads, stream, x, sums, n, c, s);
}
void batchnorm_moments(const double* sums, double* mean, double* var, int c, cudaStream_t stream) {
  KF_LAUNCH(moments_kernel, blocks(c), k_threads, stream, sums, mean, var, c);
}
void batchnorm_prepare(double* mean, double* var, float* running_mean, float* running_var, float* inv_std, int c,
                       bool batch, double count, float momentum, float eps, cudaStream_t stream) {
  KF_LAUNCH(prepare_kernel, blocks(c), k_threads, stream, mean, var, running_mean, running_var, inv_std, c, batch,
            count, momentum, eps);
}
void batchnorm_normalize(const float* x, float* y, float* xhat, const double* mean, const float* inv_std,
                         const float* gamma, const float* beta, int n, int c, int s, cudaStream_t stream) {
  const long long total = static_cast<long long>(n) * c * s;
  KF_LAUNCH(normalize_kernel, blocks(total), k_threads, stream, x, y, xhat, mean, inv_std, gamma, beta, total, c, s);
}
void batchnorm_backward_sums(const float* dy, const float* xhat, double* sums, float* dgamma, float* dbeta, int n,
                             int c, int s, cudaStream_t stream) {
  KF_LAUNCH(backward_sums_kernel, c, k_threads, stream, dy, xhat, sums, dgamma, dbeta, n, c, s);
}
void batchnorm_backward_dx(const float* dy, const float* xhat, const double* sums, const float* inv_std,
                           const float* gamma, float* dx, int n, int c, int s, bool batch, double count,
                           cudaStream_t stream) {
  const long long total = static_cast<long long>(n) * c * s;
  KF_LAUNCH(backward_dx_kernel, blocks(total), k_threads, stream, dy, xhat, sums, inv_std, gamma, dx, total, c, s,
            batch, count);
}
void multiply(const float* a, const float* b, float* out, long long count, cudaStream_t stream) {
  KF_LAUNCH(multiply_kernel, blocks(count), k_threads, stream, a, b, out, count);
}
void global_avg_pool_forward(const float* x, float* y, int planes, int s, cudaStream_t stream) {
  KF_LAUNCH(gap_forward_kernel, blocks(planes), k_threads, stream, x, y, planes, s);
}
void global_avg_pool_backward(const float* dy, float* dx, int planes, int s, cudaStream_t stream) {
  const long long total = static_cast<long long>(planes) * s;
  KF_LAUNCH(gap_backward_kernel, blocks(total), k_threads, stream, dy, dx, total, s);
}

} // namespace kf::trainer::cuda
