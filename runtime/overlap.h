#pragma once
// Overlapping the gradient all-reduce with backward, as PyTorch DDP does:
// the flat gradient buffer (every parameter in model order, then the loss
// and the correct count) is cut into buckets of whole layers, last layers
// first; as soon as backward has filled a bucket's layers, a communication
// thread all-reduces it while the earlier layers compute.

#include "runtime/comm.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace kf::trainer {

// A range [begin, end) of the flat buffer, sent once layer `first_layer`
// (the lowest-numbered layer in it) has its gradients.
struct GradientBucket {
  std::size_t first_layer;
  std::size_t begin, end;
  bool operator==(const GradientBucket&) const = default;
};

// layer_floats[i]: the floats of layer i's parameters (0 for a layer without).
// Buckets hold at least `min_floats` each (whole layers), except the first
// layers' remainder; together they cover every parameter, last layers first.
std::vector<GradientBucket> plan_buckets(const std::vector<std::size_t>& layer_floats, std::size_t min_floats);

// All-reduces ranges on its own thread, in the order they were enqueued
// (every rank enqueues the same ranges in the same order).
class AsyncAllreduce {
public:
  explicit AsyncAllreduce(Communicator& comm);
  ~AsyncAllreduce();
  AsyncAllreduce(const AsyncAllreduce&) = delete;
  AsyncAllreduce& operator=(const AsyncAllreduce&) = delete;

  void enqueue(float* data, std::size_t n);
  // Until every enqueued range is reduced; rethrows the first failure.
  void wait();

private:
  void run();

  Communicator& m_comm;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::pair<float*, std::size_t>> m_queue;
  std::size_t m_busy = 0; // enqueued and not yet reduced
  bool m_stop = false;
  std::exception_ptr m_error;
  std::thread m_thread;
};

} // namespace kf::trainer
