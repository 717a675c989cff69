#pragma once
// ShmAllreduce: the trainer's all-reduces through shared memory when every
// rank runs on this host, as the local target runs a job's workers (NCCL's
// SHM transport and DeepSpeed's CPU all-reduce do the same). Over loopback
// TCP each byte a rank sends is copied into the kernel and out again, and
// each rank sends and receives the whole buffer: on two cores that bounds
// a 2-rank all-reduce at half of one raw TCP stream (bench/RESULTS.md).
// Here rank r sums its 1/P of every rank's buffer and writes the sum into
// every rank's buffer; two barriers, no kernel copies.
//
// Every rank maps each segment: rank 0 creates it under a random name in
// /dev/shm, publishes the name through the rendezvous store, and unlinks it
// once every rank has answered, so nothing is left behind. A rank that
// cannot map one (another IPC namespace with the same hostname, a full
// /dev/shm) says so through the store, and every rank then falls back to
// Gloo together.
//
// Barriers are sequence numbers in the shared control segment: a rank
// spins briefly, then sleeps on a futex. While it waits it watches each
// missing rank's lock (an open-file-description lock on the control
// segment, released by the kernel when that process ends), so a peer
// that died ends the collective at once rather than at the timeout.
// Not thread-safe: one caller at a time, every rank in the same order.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kf::trainer {

class TcpStore;

// A POSIX shared-memory segment mapped by every rank.
class SharedSegment {
public:
  // Null on every rank when any rank could not map it. `key` names it in
  // the store and must be the same on every rank. While mapped, rank r
  // holds a lock on the segment's byte r.
  static std::unique_ptr<SharedSegment> map(TcpStore& store, const std::string& key, int rank, int size,
                                            std::size_t bytes);
  SharedSegment(int fd, void* data, std::size_t bytes) : m_fd(fd), m_data(data), m_bytes(bytes) {}
  ~SharedSegment();
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;

  char* data() const { return static_cast<char*>(m_data); }
  // Whether rank `rank` still holds its lock: false once its process ended.
  bool holder_alive(int rank) const;

private:
  int m_fd;
  void* m_data;
  std::size_t m_bytes;
};

class ShmAllreduce {
public:
  // Null on every rank when the ranks cannot share memory. Throws Error
  // only when the store fails.
  static std::unique_ptr<ShmAllreduce> connect(TcpStore& store, int rank, int size,
                                               std::chrono::milliseconds timeout);
  ShmAllreduce(TcpStore& store, int rank, int size, std::chrono::milliseconds timeout,
               std::unique_ptr<SharedSegment> control);
  ~ShmAllreduce();

  // n floats that sum() reduces where they lie, or null (on every rank)
  // when /dev/shm has no room for them.
  float* buffer(std::size_t n);

  // Every rank's (data, n) summed into each. Part of buffer()'s is summed
  // where it lies; any other buffer goes through a scratch area. Throws
  // std::runtime_error when a peer died or the collective timeout passed.
  void sum(float* data, std::size_t n);
  void sum(double* data, std::size_t n);

private:
  struct Own {
    std::unique_ptr<SharedSegment> segment;
    std::size_t n, stride; // floats in the buffer; floats between two ranks' copies
  };

  template <typename T>
  void sum_copied(T* data, std::size_t n);
  void sum_in_place(const Own& own, std::size_t offset, std::size_t n);
  void barrier();
  void wait_for(std::uint64_t seq);
  void check_peers(std::uint64_t seq, std::chrono::steady_clock::time_point deadline) const;

  TcpStore& m_store;
  int m_rank, m_size;
  std::chrono::milliseconds m_timeout;
  std::unique_ptr<SharedSegment> m_control; // barrier words, then the scratch areas
  std::vector<Own> m_own;
  std::uint64_t m_barriers = 0; // barriers this rank has passed
  std::size_t m_segments = 0;   // buffer() calls: each names its segment in the store
  unsigned m_area = 0;          // the scratch area the next copied all-reduce uses
};

} // namespace kf::trainer
