// kf-bench-sgemm: this machine's OpenBLAS SGEMM rate, the ceiling that
// kf-trainer's achieved training FLOP/s is compared with (bench/trainer.sh).
// Usage: kf-bench-sgemm [THREADS [N...]]; prints one line per size.
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  openblas_set_num_threads(threads);
  std::vector<int> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {256, 512, 1024, 2048};
  for (int n : sizes) {
    const auto count = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    std::vector<float> a(count, 0.5f), b(count, 0.25f), c(count, 0.0f);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    int reps = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0.0;
    while (elapsed < 1.0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
      ++reps;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const double gflops = 2.0 * n * static_cast<double>(n) * n * reps / elapsed / 1e9;
    std::printf("sgemm threads=%d n=%d gflops=%.1f\n", threads, n, gflops);
  }
  return 0;
}
