// The CUDA emulator's cuBLAS: OpenBLAS on the host, column-major as cuBLAS.
// A matrix that is not wholly inside device memory stops the emulator: on a
// GPU it would be an illegal address.
#include "internal.h"

#include <cublas_v2.h>

#include <cblas.h>

#include <algorithm>
#include <string>

struct cublasContext {
  cudaStream_t stream = nullptr;
};

namespace {

CBLAS_TRANSPOSE op(cublasOperation_t t) { return t == CUBLAS_OP_N ? CblasNoTrans : CblasTrans; }

// A column-major rows x cols matrix with leading dimension ld must lie in device memory.
void require_matrix(const char* what, const float* p, int rows, int cols, int ld) {
  if (rows <= 0 || cols <= 0) return;
  const std::size_t floats = static_cast<std::size_t>(cols - 1) * static_cast<std::size_t>(ld) +
                             static_cast<std::size_t>(rows);
  if (!kf_cuda_emu::is_device(p, floats * sizeof(float)))
    kf_cuda_emu::fail(std::string("cublasSgemm: matrix ") + what + " (" + std::to_string(rows) + " x " +
                      std::to_string(cols) + ", ld " + std::to_string(ld) + ") is not in device memory");
}

bool gemm_shape_valid(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, int lda, int ldb, int ldc) {
  const int a_rows = ta == CUBLAS_OP_N ? m : k, b_rows = tb == CUBLAS_OP_N ? k : n;
  return m >= 0 && n >= 0 && k >= 0 && lda >= std::max(1, a_rows) && ldb >= std::max(1, b_rows) &&
         ldc >= std::max(1, m);
}

void gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  require_matrix("A", a, ta == CUBLAS_OP_N ? m : k, ta == CUBLAS_OP_N ? k : m, lda);
  require_matrix("B", b, tb == CUBLAS_OP_N ? k : n, tb == CUBLAS_OP_N ? n : k, ldb);
  require_matrix("C", c, m, n, ldc);
  if (m == 0 || n == 0) return;
  const kf_cuda_emu::DeviceAccess access;
  cblas_sgemm(CblasColMajor, op(ta), op(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

} // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const float* alpha, const float* a, int lda, const float* b, int ldb, const float* beta,
                           float* c, int ldc) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!gemm_shape_valid(ta, tb, m, n, k, lda, ldb, ldc)) return CUBLAS_STATUS_INVALID_VALUE;
  gemm(ta, tb, m, n, k, *alpha, a, lda, b, ldb, *beta, c, ldc);
  return CUBLAS_STATUS_SUCCESS;
}
