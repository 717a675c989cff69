// cuda_emu_unit: the CUDA emulator itself. Its worth is in what it catches,
// so most cases here are faults a GPU would have, each checked in a child
// process that must die (with the emulator's message where it gives one).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/cuda/launch.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr int k_threads = 64;

// Every thread reads its right neighbour's value after a barrier: without
// a real barrier the early threads would read what is not yet written.
__global__ void rotate_kernel(const float* in, float* out) {
  __shared__ float tile[k_threads];
  const int t = static_cast<int>(threadIdx.x), base = static_cast<int>(blockIdx.x * blockDim.x);
  tile[t] = in[base + t];
  __syncthreads();
  out[base + t] = tile[(t + 1) % k_threads];
}

// One sum per block by a tree reduction, then added to total[0].
__global__ void sum_kernel(const float* in, float* total, int count) {
  __shared__ float partial[k_threads];
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  partial[threadIdx.x] = i < count ? in[i] : 0.0f;
  __syncthreads();
  for (int half = k_threads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) atomicAdd(total, partial[0]);
}

// Reads one element past what thread i should: out of bounds for the last.
__global__ void overrun_kernel(const float* in, float* out, int count) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < count) out[i] = in[i + 1024];
}

// A barrier only block 1 reaches: undefined on a GPU.
__global__ void divergent_kernel(float* out) {
  if (blockIdx.x == 1) __syncthreads();
  out[threadIdx.x] = 1.0f;
}

__global__ void fill_kernel(float* out, float v) { out[blockIdx.x * blockDim.x + threadIdx.x] = v; }

// Half the threads leave before the barrier: undefined on a GPU.
__global__ void partial_barrier_kernel(float* out) {
  if (threadIdx.x >= 32) return;
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

float* device_floats(std::size_t n) {
  void* p = nullptr;
  REQUIRE(cudaMalloc(&p, n * sizeof(float)) == cudaSuccess);
  return static_cast<float*>(p);
}

std::vector<float> to_host(const float* device, std::size_t n) {
  std::vector<float> h(n);
  REQUIRE(cudaMemcpy(h.data(), device, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  return h;
}

// Runs f in a child process; returns whether it died of a signal and the
// last line it wrote to stderr (before it, ASan may warn once about
// swapcontext in a process that has not used it yet).
struct Death {
  bool died = false;
  std::string stderr_text; // the last line, with its newline
};
Death run_child(const std::function<void()>& f) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    for (const int sig : {SIGABRT, SIGSEGV, SIGBUS}) std::signal(sig, SIG_DFL); // not doctest's crash report
    dup2(fds[1], 2);
    close(fds[0]);
    try {
      f();
    } catch (...) { // a failed REQUIRE: the child must not go on running the suite
      _exit(3);
    }
    _exit(0);
  }
  close(fds[1]);
  Death d;
  char buf[4096];
  for (ssize_t got; (got = read(fds[0], buf, sizeof buf)) > 0;)
    d.stderr_text.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  if (const std::size_t end = d.stderr_text.rfind('\n', d.stderr_text.size() - (d.stderr_text.empty() ? 0 : 2));
      end != std::string::npos)
    d.stderr_text.erase(0, end + 1);
  int status = 0;
  waitpid(pid, &status, 0);
  d.died = WIFSIGNALED(status);
  return d;
}

} // namespace

TEST_CASE("__syncthreads is a barrier of the block's threads") {
  const int blocks = 3, n = blocks * k_threads;
  std::vector<float> in(n);
  for (int i = 0; i < n; ++i) in[static_cast<std::size_t>(i)] = static_cast<float>(i);
  float* d_in = device_floats(n);
  float* d_out = device_floats(n);
  REQUIRE(cudaMemcpy(d_in, in.data(), n * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  KF_LAUNCH(rotate_kernel, blocks, k_threads, nullptr, d_in, d_out);
  const auto out = to_host(d_out, n);
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < k_threads; ++t) {
      const auto at = [&](int thread) { return static_cast<std::size_t>(b * k_threads + thread); };
      CHECK(out[at(t)] == in[at((t + 1) % k_threads)]);
    }
  cudaFree(d_in);
  cudaFree(d_out);
}

TEST_CASE("a tree reduction over several blocks, with atomicAdd") {
  const int count = 1000;
  std::vector<float> in(count, 0.5f);
  float* d_in = device_floats(count);
  float* d_total = device_floats(1);
  REQUIRE(cudaMemcpy(d_in, in.data(), count * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  REQUIRE(cudaMemset(d_total, 0, sizeof(float)) == cudaSuccess);
  KF_LAUNCH(sum_kernel, (count + k_threads - 1) / k_threads, k_threads, nullptr, d_in, d_total, count);
  CHECK(to_host(d_total, 1)[0] == 500.0f);
  cudaFree(d_in);
  cudaFree(d_total);
}

TEST_CASE("new device memory is not zeroed: it reads as NaN") {
  float* d = device_floats(4);
  for (float v : to_host(d, 4)) CHECK(std::isnan(v));
  KF_LAUNCH(fill_kernel, 1, 4, nullptr, d, 2.0f);
  CHECK(to_host(d, 4) == std::vector<float>(4, 2.0f));
  cudaFree(d);
}

TEST_CASE("host code that reads device memory faults, as with a GPU") {
  float* d = device_floats(16);
  KF_LAUNCH(fill_kernel, 1, 16, nullptr, d, 3.0f); // device work opened and closed it
  const Death death = run_child([d] { std::printf("%f\n", static_cast<double>(*static_cast<volatile float*>(d))); });
  CHECK(death.died);
  cudaFree(d);
}

TEST_CASE("a kernel given a host pointer stops the emulator, naming the argument") {
  std::vector<float> host(4);
  const Death death = run_child([&] { KF_LAUNCH(fill_kernel, 1, 4, nullptr, host.data(), 1.0f); });
  CHECK(death.died);
  CHECK(death.stderr_text ==
        "CUDA emulator: fill_kernel: argument 0 points to host memory, not device memory: a GPU would fault on it\n");
}

TEST_CASE("a kernel given freed device memory stops the emulator, even when the address is allocated again") {
  float* stale = device_floats(16);
  cudaFree(stale);
  float* fresh = device_floats(16); // often the same address once unmapped; not while the freed one is kept
  CHECK(fresh != stale);
  const Death death = run_child([stale] { KF_LAUNCH(fill_kernel, 1, 16, nullptr, stale, 1.0f); });
  CHECK(death.died);
  CHECK(death.stderr_text == "CUDA emulator: fill_kernel: argument 0 points to device memory that was freed "
                             "(cudaFree): a use after free\n");
  cudaFree(fresh);
}

TEST_CASE("a barrier that only some threads of a block reach stops the emulator") {
  float* d = device_floats(k_threads);
  const Death death = run_child([d] { KF_LAUNCH(partial_barrier_kernel, 1, k_threads, nullptr, d); });
  CHECK(death.died);
  CHECK(death.stderr_text == "CUDA emulator: partial_barrier_kernel: __syncthreads() in block 0 reached by 32 of "
                             "its 64 threads, the others ended: every thread of a block must reach the same "
                             "barriers\n");
  cudaFree(d);
}

TEST_CASE("a kernel that reads past the end of an allocation faults") {
  float* d_in = device_floats(16);
  float* d_out = device_floats(16);
  const Death death = run_child([=] { KF_LAUNCH(overrun_kernel, 1, 16, nullptr, d_in, d_out, 16); });
  CHECK(death.died);
  cudaFree(d_in);
  cudaFree(d_out);
}

TEST_CASE("copies check their direction, cudaGetLastError reports once") {
  float* d = device_floats(4);
  std::vector<float> h(4, 1.0f);
  CHECK(cudaMemcpy(h.data(), d, sizeof(float), cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  CHECK(cudaGetLastError() == cudaErrorInvalidValue);
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(cudaMemcpy(d, h.data(), sizeof(float), cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
  CHECK(cudaMemcpy(d, h.data(), 5 * sizeof(float), cudaMemcpyHostToDevice) == cudaErrorInvalidValue); // too long
  CHECK(cudaMemset(h.data(), 0, sizeof(float)) == cudaErrorInvalidValue);
  CHECK(cudaMemcpy(d, h.data(), 4 * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  CHECK(cudaMemcpy(d + 1, d, sizeof(float), cudaMemcpyDeviceToDevice) == cudaSuccess);
  CHECK(cudaFree(h.data()) == cudaErrorInvalidDevicePointer);
  CHECK(std::string(cudaGetErrorString(cudaGetLastError())) == "invalid device pointer");
  cudaFree(d);
}

TEST_CASE("launches CUDA refuses, and barriers only some blocks reach, stop the emulator") {
  float* d = device_floats(k_threads * 2);
  const Death empty = run_child([d] { KF_LAUNCH(fill_kernel, 0, k_threads, nullptr, d, 1.0f); });
  CHECK(empty.died);
  CHECK(empty.stderr_text ==
        "CUDA emulator: fill_kernel launched with grid (0, 1, 1) and block (64, 1, 1): CUDA refuses this configuration "
        "(cudaErrorInvalidConfiguration) and runs nothing\n");
  const Death big = run_child([d] { KF_LAUNCH(fill_kernel, 1, 2048, nullptr, d, 1.0f); });
  CHECK(big.died);
  const Death divergent = run_child([d] { KF_LAUNCH(divergent_kernel, 2, k_threads, nullptr, d); });
  CHECK(divergent.died);
  CHECK(divergent.stderr_text == "CUDA emulator: divergent_kernel: __syncthreads() in block 1 though block 0 of its "
                                 "first launch reached none: every block of every launch must reach the same "
                                 "barriers\n");
  cudaFree(d);
}

TEST_CASE("cublasSgemm is cuBLAS's column-major product, transposes included") {
  const int m = 3, n = 2, k = 4;
  // A^T stored k x m (op T), B stored k x n, C = A B is m x n, all column-major.
  std::vector<float> at(static_cast<std::size_t>(k * m)), b(static_cast<std::size_t>(k * n)), c(m * n, 1.0f);
  for (std::size_t i = 0; i < at.size(); ++i) at[i] = static_cast<float>(i) * 0.5f - 1.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 3) + 0.25f;
  float* d_a = device_floats(at.size());
  float* d_b = device_floats(b.size());
  float* d_c = device_floats(c.size());
  cudaMemcpy(d_a, at.data(), at.size() * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(d_b, b.data(), b.size() * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(d_c, c.data(), c.size() * sizeof(float), cudaMemcpyHostToDevice);
  cublasHandle_t handle = nullptr;
  REQUIRE(cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS);
  const float alpha = 2.0f, beta = 0.5f;
  REQUIRE(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, d_a, k, d_b, k, &beta, d_c, m) ==
          CUBLAS_STATUS_SUCCESS);
  const auto got = to_host(d_c, c.size());
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float want = beta * 1.0f;
      for (int p = 0; p < k; ++p)
        want += alpha * at[static_cast<std::size_t>(i * k + p)] * b[static_cast<std::size_t>(j * k + p)];
      CHECK(got[static_cast<std::size_t>(j * m + i)] == doctest::Approx(want));
    }
  CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, d_a, 1, d_b, k, &beta, d_c, m) ==
        CUBLAS_STATUS_INVALID_VALUE); // lda < m
  const Death host = run_child([&] {
    cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, at.data(), k, d_b, k, &beta, d_c, m);
  });
  CHECK(host.died);
  CHECK(host.stderr_text == "CUDA emulator: cublasSgemm: matrix A (4 x 3, ld 4) is not in device memory\n");
  cublasDestroy(handle);
  cudaFree(d_a);
  cudaFree(d_b);
  cudaFree(d_c);
}

TEST_CASE("NCCL: two processes sum in rank order, over more than one round of slots") {
  setenv("KF_CUDA_EMULATOR_DEVICES", "2", 1);
  ncclUniqueId id;
  REQUIRE(ncclGetUniqueId(&id) == ncclSuccess);
  const std::size_t count = 300000; // 1.2 MB of floats: two rounds of 1 MiB slots
  // Rank r contributes r + 1 + i % 7 / 8 at element i.
  const auto run_rank = [&](int rank) {
    if (cudaSetDevice(rank) != cudaSuccess) return false;
    ncclComm_t comm = nullptr;
    if (ncclCommInitRank(&comm, 2, id, rank) != ncclSuccess) return false;
    std::vector<float> h(count);
    for (std::size_t i = 0; i < count; ++i) h[i] = static_cast<float>(rank + 1) + static_cast<float>(i % 7) / 8.0f;
    float* d = device_floats(count);
    cudaMemcpy(d, h.data(), count * sizeof(float), cudaMemcpyHostToDevice);
    const bool reduced = ncclAllReduce(d, d, count, ncclFloat, ncclSum, comm, nullptr) == ncclSuccess;
    const auto got = to_host(d, count);
    bool right = reduced;
    for (std::size_t i = 0; i < count; ++i) right = right && got[i] == 3.0f + 2.0f * static_cast<float>(i % 7) / 8.0f;
    ncclCommDestroy(comm);
    cudaFree(d);
    return right;
  };
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int rc = 2;
    try {
      rc = run_rank(1) ? 0 : 1;
    } catch (...) { // a failed REQUIRE: the child must not go on running the suite
    }
    _exit(rc);
  }
  CHECK(run_rank(0));
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  cudaSetDevice(0);
}

TEST_CASE("NCCL: two ranks on one device are refused, a rank that never comes stops the emulator") {
  setenv("KF_CUDA_EMULATOR_DEVICES", "2", 1);
  ncclUniqueId id;
  REQUIRE(ncclGetUniqueId(&id) == ncclSuccess);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ncclComm_t comm = nullptr;
    _exit(ncclCommInitRank(&comm, 2, id, 1) == ncclInvalidUsage ? 0 : 1); // device 0, as rank 0
  }
  ncclComm_t comm = nullptr;
  CHECK(ncclCommInitRank(&comm, 2, id, 0) == ncclInvalidUsage);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(ncclCommInitRank(&comm, 2, id, 2) == ncclInvalidArgument);

  setenv("KF_CUDA_EMULATOR_TIMEOUT", "0.5", 1);
  REQUIRE(ncclGetUniqueId(&id) == ncclSuccess);
  const Death alone = run_child([&] {
    ncclComm_t c = nullptr;
    ncclCommInitRank(&c, 2, id, 0);
  });
  unsetenv("KF_CUDA_EMULATOR_TIMEOUT");
  CHECK(alone.died);
  CHECK(alone.stderr_text == "CUDA emulator: NCCL: rank 0 waited 0.5 s for rank 1, which never arrived\n");
}

// Sets variables for a test case and puts back what was there, however it ends.
struct EnvGuard {
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  void set(const char* name, const char* value) {
    const char* was = std::getenv(name);
    saved.emplace_back(name, was ? std::optional<std::string>(was) : std::nullopt);
    setenv(name, value, 1);
  }
  ~EnvGuard() {
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
      if (it->second) setenv(it->first.c_str(), it->second->c_str(), 1);
      else unsetenv(it->first.c_str());
    }
  }
};

TEST_CASE("CUDA_VISIBLE_DEVICES: a process sees the machine's devices it names, NCCL tells them apart by the machine's number") {
  EnvGuard env;
  env.set("KF_CUDA_EMULATOR_DEVICES", "3");
  env.set("CUDA_VISIBLE_DEVICES", "");
  const auto count_with = [](const char* visible) {
    setenv("CUDA_VISIBLE_DEVICES", visible, 1);
    int count = -1;
    const cudaError_t err = cudaGetDeviceCount(&count);
    cudaGetLastError();
    return err == cudaSuccess ? count : -static_cast<int>(err);
  };
  CHECK(count_with("2,0") == 2);
  CHECK(count_with("1") == 1);
  CHECK(count_with("1,7,0") == 1); // CUDA stops at the first entry that is not a device
  CHECK(count_with("0,0") == 1);
  CHECK(count_with("GPU-abc") == -static_cast<int>(cudaErrorNoDevice));
  CHECK(count_with("") == -static_cast<int>(cudaErrorNoDevice));

  // Two ranks each on its device 0, which are the machine's devices 2 and 1: allowed.
  const auto two_ranks = [](const char* visible0, const char* visible1) {
    ncclUniqueId id;
    REQUIRE(ncclGetUniqueId(&id) == ncclSuccess);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      setenv("CUDA_VISIBLE_DEVICES", visible1, 1);
      ncclComm_t comm = nullptr;
      _exit(cudaSetDevice(0) == cudaSuccess && ncclCommInitRank(&comm, 2, id, 1) == ncclSuccess ? 0 : 1);
    }
    setenv("CUDA_VISIBLE_DEVICES", visible0, 1);
    ncclComm_t comm = nullptr;
    const bool ok = cudaSetDevice(0) == cudaSuccess && ncclCommInitRank(&comm, 2, id, 0) == ncclSuccess;
    int status = 0;
    waitpid(pid, &status, 0);
    if (ok) ncclCommDestroy(comm);
    return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  CHECK(two_ranks("2", "1"));
  CHECK_FALSE(two_ranks("1", "1,2")); // both on the machine's device 1
}
