#pragma once
// CUDA kernels of the GPU engine, behind plain launch functions so that
// only kernels.cu goes through nvcc. All pointers are device pointers;
// every launch is asynchronous on `stream`. Row-major layouts as on the CPU.

#include <cstdint>

typedef struct CUstream_st* cudaStream_t;

namespace kf::trainer::cuda {

enum Activation : int { k_relu = 0, k_tanh = 1, k_sigmoid = 2 };

// y[i, j] += b[j] for an [n, out] matrix.
void add_bias(float* y, const float* b, int n, int out, cudaStream_t stream);
// db[j] = sum_i dy[i, j].
void bias_grad(const float* dy, float* db, int n, int out, cudaStream_t stream);
void activation_forward(int kind, const float* x, float* y, int count, cudaStream_t stream);
// dx = dy * f'(x) (relu uses x, tanh/sigmoid use y = f(x)).
void activation_backward(int kind, const float* x, const float* y, const float* dy, float* dx, int count,
                         cudaStream_t stream);
// Softmax cross-entropy over logits [n, k]. Adds the loss sum and the
// number of correct predictions to sums[0] and sums[1]; when dlogits is not
// null writes (softmax - onehot) * scale.
void softmax_xent(const float* logits, const std::uint8_t* labels, int n, int k, float scale, float* dlogits,
                  float* sums, cudaStream_t stream);
// Optimizer updates over flat buffers; decay[i] is 1 where weight decay applies.
void sgd_update(float* w, float* m, const float* g, const float* decay, int count, float lr, float momentum,
                float weight_decay, cudaStream_t stream);
void adam_update(float* w, float* m, float* v, const float* g, const float* decay, int count, float lr, float beta1,
                 float beta2, float eps, float c1, float c2, float weight_decay, cudaStream_t stream);

} // namespace kf::trainer::cuda
