#pragma once
// parallel_for: runs fn(0..n-1) on up to `workers` threads (the calling
// thread included) and waits for all of them. Every index runs even when
// one throws; afterwards the exception of the lowest failing index is
// rethrown, so errors are reported the same way whatever the timing.

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace kf::platform {

template <typename Fn>
void parallel_for(std::size_t n, std::size_t workers, Fn fn) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  const std::size_t extra = std::min(n, std::max<std::size_t>(workers, 1)) - (n > 0 ? 1 : 0);
  for (std::size_t t = 0; t < extra; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

} // namespace kf::platform
