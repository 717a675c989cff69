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
// Convolution, stride 1, zero padding `pad`, with the layouts of conv.cpp:
// col [c*k*k, n*h*w] is the im2col of x [n, c, h, w]; the GEMM gives
// tmp [f, n*h*w]; y [n, f, h*w] = tmp reordered + b.
void im2col(const float* x, float* col, int n, int c, int h, int w, int k, int pad, cudaStream_t stream);
// dx [n, c, h, w] from dcol [c*k*k, n*h*w]: each element gathers its k*k taps (no atomics).
void col2im(const float* dcol, float* dx, int n, int c, int h, int w, int k, int pad, cudaStream_t stream);
// y[s, f, p] = tmp[f, s*hw + p] + b[f] (no bias when b is null).
void conv_output(const float* tmp, const float* b, float* y, int n, int f, int hw, cudaStream_t stream);
// dtmp[f, s*hw + p] = dy[s, f, p] (the inverse reorder, for the backward GEMMs).
void conv_output_grad(const float* dy, float* dtmp, int n, int f, int hw, cudaStream_t stream);
// sums[r] = sum of row r of a [rows, len] (one block per row).
void row_sums(const float* a, float* sums, int rows, int len, cudaStream_t stream);
// 2x2 max pooling, stride 2, over `planes` planes of h x w (odd sizes drop
// the last row/column). argmax[o] is the input index of output o; ties keep
// the first in row order, as on the CPU.
void maxpool_forward(const float* x, float* y, int* argmax, int planes, int h, int w, cudaStream_t stream);
// dx (inputs elements) = 0, then dx[argmax[o]] = dy[o]; the windows do not overlap.
void maxpool_backward(const float* dy, const int* argmax, float* dx, int outputs, int inputs, cudaStream_t stream);
// Optimizer updates over flat buffers; decay[i] is 1 where weight decay applies
// (decoupled: AdamW's w *= 1 - lr * wd instead of L2 in the gradient).
void sgd_update(float* w, float* m, const float* g, const float* decay, int count, float lr, float momentum,
                float weight_decay, cudaStream_t stream);
void adam_update(float* w, float* m, float* v, const float* g, const float* decay, int count, float lr, float beta1,
                 float beta2, float eps, float c1, float c2, float weight_decay, bool decoupled, cudaStream_t stream);

} // namespace kf::trainer::cuda
