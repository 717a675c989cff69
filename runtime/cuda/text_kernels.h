#pragma once
// CUDA kernels of the text models' device twins (gpu_text.cpp): the
// embedding bag and the transformer encoder of embedding.cpp,
// transformer.cpp and transformer_ops.cpp, with their layouts. Device
// pointers, asynchronous launches on `stream`, as kernels.h. Token ids are
// rows of the embedding table (int); keep[r] is 1 where row r is a token,
// 0 where it is padding. LayerNorm, pooling and the position gradients sum
// in the CPU's order; the embedding tables' gradients are atomic adds (in no
// fixed order on a GPU), the attention's dot products are plain loops (the
// CPU's are GEMMs), and exp is expf (the CPU's vec::exp differs in the last
// bits), so the twins agree with the CPU to rounding, not bit for bit.

typedef struct CUstream_st* cudaStream_t;

namespace kf::trainer::cuda {

// out[i] = the mean of table rows ids[i, s] over the non-zero ids (zero when none).
void embedding_bag_forward(const int* ids, const float* table, float* out, int n, int slots, int dim,
                           cudaStream_t stream);
// dtable[ids[i, s]] += dout[i] / count_i for the non-zero ids (atomically):
// the embedding bag's backward, and the transformer's hashed features'.
void embedding_bag_backward(const int* ids, const float* dout, float* dtable, int n, int slots, int dim,
                            cudaStream_t stream);

// x[r] = token[ids[r]] + position[r % t], rows = n * t.
void embed(const int* ids, const float* token, const float* position, float* x, int rows, int t, int d,
           cudaStream_t stream);
// dtoken[ids[r]] += dx[r] (atomically); dposition[j] = sum over texts of dx[i * t + j] for j < t.
void embed_backward(const int* ids, const float* dx, float* dtoken, float* dposition, int n, int t, int d,
                    cudaStream_t stream);
// out[i] += the mean of token rows bag[i, k] over its non-zero entries.
void bag_add(const int* bag, const float* token, float* out, int n, int slots, int d, cudaStream_t stream);

// Per row of x [rows, d]: y = (x - mean) rstd gamma + beta, mean and rstd saved (eps 1e-5).
void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                        int rows, int d, cudaStream_t stream);
// dx (overwritten); dgamma, dbeta overwritten with the sums over the rows.
void layer_norm_backward(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                         float* dx, float* dgamma, float* dbeta, int rows, int d, cudaStream_t stream);

// The exact (erf) GELU and its derivative: dx = dy gelu'(x).
void gelu_forward(const float* x, float* y, long long count, cudaStream_t stream);
void gelu_backward(const float* x, const float* dy, float* dx, long long count, cudaStream_t stream);
// y += x.
void add_to(float* y, const float* x, long long count, cudaStream_t stream);

// Multi-head self-attention of n texts of t positions: qkv [n*t, 3d] (a
// head's query, key and value columns at h*dh, d + h*dh, 2d + h*dh), keys
// masked by keep; probs [n, heads, t, t] saved; ctx [n*t, d]. A row with no
// key kept gets zero probabilities and context.
void attention_forward(const float* qkv, const unsigned char* keep, float* probs, float* ctx, int n, int t, int d,
                       int heads, cudaStream_t stream);
// dqkv [n*t, 3d] overwritten; ds [n, heads, t, t] is scratch.
void attention_backward(const float* qkv, const float* probs, const float* dctx, float* dqkv, float* ds, int n, int t,
                        int d, int heads, cudaStream_t stream);

// out[i] = z[i, 0] (cls) or the mean of z[i, j] over kept j (zero when none); count[i] = kept positions.
void pool_forward(const float* z, const unsigned char* keep, const float* count, float* out, int n, int t, int d,
                  bool cls, cudaStream_t stream);
// dz [n*t, d] overwritten: dout routed back as pool_forward read z.
void pool_backward(const float* dout, const unsigned char* keep, const float* count, float* dz, int n, int t, int d,
                   bool cls, cudaStream_t stream);

} // namespace kf::trainer::cuda
