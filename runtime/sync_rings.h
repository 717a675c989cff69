#pragma once
// SyncRings: the trainer's all-reduces up to what a fresh connection holds,
// and the engine's gradients at any size, on a Gloo context whose pairs are
// in sync mode (Pair::setSync(true, false)): the calling thread reads
// and writes its own sockets, blocking, under the collective timeout. In
// Gloo's default mode every message passes through its event-loop thread,
// a wake-up more on each side, and the unbound-buffer ring sends at least
// 2 x ranks segments each way however small the buffer: on this kind of VM
// that cost 1.5-10x up to 1 MiB (bench/RESULTS.md).
//
// In sync mode a send is a blocking write, and Gloo's chunked ring has
// every rank write two chunks (2/ranks of what it sends) before it reads: if
// the connection cannot hold them, every rank blocks in write until the
// collective timeout. So one ring sends at most what a fresh TCP connection
// holds - 512 KiB per rank when every rank is on this host (loopback starts
// with a send buffer of over a megabyte), 32 KiB between hosts - and:
//  - sum() copies a buffer up to that size through a ring of its own and
//    leaves a larger one to the caller (the default ring);
//  - buffer() hands out a buffer of any size that sum() sends as it is, in
//    pieces of that size one after the other (the engine's gradients).
//
// Gloo's algorithms for sync pairs bind their buffers when built, so there
// is one per element type and count (and piece); every rank builds them in
// the same order, each at its first sum(). Not thread-safe: one caller at
// a time.
#include <gloo/allreduce_ring_chunked.h>
#include <gloo/context.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace kf::trainer {

class SyncRings {
public:
  SyncRings(std::shared_ptr<gloo::Context> context, bool one_host)
      : m_context(std::move(context)),
        m_max_piece(static_cast<std::size_t>(m_context->size) * (one_host ? 512u << 10 : 32u << 10)) {}

  // False (nothing sent) when the caller's default ring should take it.
  template <typename T>
  bool sum(T* data, std::size_t n) {
    if constexpr (std::is_same_v<T, float>) {
      const auto own = m_own.find(n);
      if (own != m_own.end() && own->second.buffer.data() == data) {
        ring_of<float>(m_own, n).run();
        return true;
      }
    }
    if (n * sizeof(T) > m_max_piece) return false;
    Ring<T>& ring = ring_of<T>(copied<T>(), n);
    std::copy_n(data, n, ring.buffer.data());
    ring.run();
    std::copy_n(ring.buffer.data(), n, data);
    return true;
  }

  // n floats that sum() sends without copying them (its rings are built by
  // the first sum() of the whole buffer: a caller that sums only ranges of
  // it, as the overlapping engine does, never builds them), or null past
  // what Gloo's algorithm can count (an int of bytes), or for a second
  // buffer of a size already handed out (its rings are keyed by size).
  float* buffer(std::size_t n) {
    if (n == 0 || n > static_cast<std::size_t>(INT_MAX) / sizeof(float) || m_own.count(n) != 0) return nullptr;
    std::vector<float>& own = m_own[n].buffer;
    own.resize(n);
    return own.data();
  }

private:
  template <typename T>
  struct Ring {
    std::vector<T> buffer;
    // Reduce-scatter + all-gather over consecutive pieces of the buffer:
    // the same bits on every rank.
    std::vector<std::unique_ptr<gloo::AllreduceRingChunked<T>>> pieces;
    void run() {
      for (auto& piece : pieces) piece->run();
    }
  };
  template <typename T>
  using Rings = std::map<std::size_t, Ring<T>>;

  template <typename T>
  Ring<T>& ring_of(Rings<T>& rings, std::size_t n) {
    Ring<T>& ring = rings[n];
    if (!ring.pieces.empty()) return ring;
    ring.buffer.resize(n);
    const std::size_t per_piece = m_max_piece / sizeof(T);
    for (std::size_t at = 0; at < n; at += per_piece) {
      const std::size_t count = std::min(per_piece, n - at);
      ring.pieces.push_back(std::make_unique<gloo::AllreduceRingChunked<T>>(
          m_context, std::vector<T*>{ring.buffer.data() + at}, static_cast<int>(count)));
    }
    return ring;
  }

  template <typename T>
  Rings<T>& copied() {
    if constexpr (std::is_same_v<T, float>) return m_floats;
    else return m_doubles;
  }

  std::shared_ptr<gloo::Context> m_context;
  std::size_t m_max_piece; // bytes one ring sends: what each rank may write before it reads, times the ranks
  Rings<float> m_floats, m_own; // copied through; buffer()'s
  Rings<double> m_doubles;
};

} // namespace kf::trainer
