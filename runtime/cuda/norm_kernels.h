#pragma once
// CUDA kernels of the device twins of norm.cpp (BatchNorm, Dropout,
// GlobalAvgPool2d), as kernels.h: device pointers, asynchronous launches on
// `stream`, the layouts of the CPU layers. A batch is [n, c, s] with s = H*W
// for 2-d batch norm and pooling, 1 for 1-d. Sums are in double, as on the
// CPU; the order of summation differs.

typedef struct CUstream_st* cudaStream_t;

namespace kf::trainer::cuda {

// mean[ch], var[ch]: the batch's mean and biased variance per channel (two passes).
void batchnorm_stats(const float* x, double* mean, double* var, int n, int c, int s, cudaStream_t stream);
// SyncBatchNorm's local sums: sums[ch] = sum of x, sums[c + ch] = sum of x^2
// over channel ch of this rank's batch (sums[2c], the count, is the caller's).
void batchnorm_sums(const float* x, double* sums, int n, int c, int s, cudaStream_t stream);
// From the sums over every rank (and the count at sums[2c]): mean = sum / count,
// var = max(0, sum of squares / count - mean^2), as BatchNorm::batch_statistics.
void batchnorm_moments(const double* sums, double* mean, double* var, int c, cudaStream_t stream);
// With the batch's statistics (`batch`): running = (1 - momentum) running +
// momentum stat, the variance unbiased by count / (count - 1). Without:
// mean and var become the running statistics. Then inv_std = 1 / sqrt(var + eps).
void batchnorm_prepare(double* mean, double* var, float* running_mean, float* running_var, float* inv_std, int c,
                       bool batch, double count, float momentum, float eps, cudaStream_t stream);
// xhat = (x - mean) inv_std; y = gamma xhat + beta.
void batchnorm_normalize(const float* x, float* y, float* xhat, const double* mean, const float* inv_std,
                         const float* gamma, const float* beta, int n, int c, int s, cudaStream_t stream);
// sums[ch] = sum dy, sums[c + ch] = sum dy xhat; dbeta and dgamma are them in float.
void batchnorm_backward_sums(const float* dy, const float* xhat, double* sums, float* dgamma, float* dbeta, int n,
                             int c, int s, cudaStream_t stream);
// dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat)), the means over
// `count` only with the batch's statistics (else 0).
void batchnorm_backward_dx(const float* dy, const float* xhat, const double* sums, const float* inv_std,
                           const float* gamma, float* dx, int n, int c, int s, bool batch, double count,
                           cudaStream_t stream);
// out[i] = a[i] * b[i] (dropout: the input or its gradient times the mask).
void multiply(const float* a, const float* b, float* out, long long count, cudaStream_t stream);
// y[p] = mean of plane p's s elements; dx[p, k] = dy[p] / s.
void global_avg_pool_forward(const float* x, float* y, int planes, int s, cudaStream_t stream);
void global_avg_pool_backward(const float* dy, float* dx, int planes, int s, cudaStream_t stream);

} // namespace kf::trainer::cuda
