// The shared-memory all-reduce for ranks on one host (shm_allreduce.h).
#include "runtime/shm_allreduce.h"

#include "runtime/tcp_store.h"

#include <fcntl.h>
#include <sched.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <functional>
#include <random>
#include <stdexcept>

namespace kf::trainer {
namespace {

constexpr std::size_t k_line = 64;                  // bytes: each rank's barrier count has a cache line
constexpr std::size_t k_scratch = 256 << 10;        // bytes per rank and area for a copied buffer
constexpr std::size_t k_align = k_line / sizeof(float); // floats: shares start on cache lines
constexpr std::size_t k_block = 1024;               // elements summed on the stack at a time
constexpr auto k_spin = std::chrono::microseconds(5);   // spinning, then yielding the core
constexpr auto k_yield = std::chrono::microseconds(200); // until sleeping on the futex: longer than a wake-up takes
constexpr auto k_nap = std::chrono::milliseconds(50);   // between looks at the missing ranks

static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic_ref<std::uint32_t>::is_always_lock_free);

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// The control segment: the wake word, the number of sleepers, each rank's
// barrier count (a line each), then two scratch areas of `size` slots.
std::size_t header_bytes(int size) { return round_up(k_line * (2 + static_cast<std::size_t>(size)), 4096); }
std::atomic_ref<std::uint32_t> wake_word(char* control) {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(control));
}
std::atomic_ref<std::uint32_t> sleepers(char* control) {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(control + k_line));
}
std::atomic_ref<std::uint64_t> arrived(char* control, int rank) {
  return std::atomic_ref<std::uint64_t>(
      *reinterpret_cast<std::uint64_t*>(control + k_line * (2 + static_cast<std::size_t>(rank))));
}

bool all_arrived(char* control, int size, std::uint64_t seq) {
  for (int q = 0; q < size; ++q)
    if (arrived(control, q).load(std::memory_order_acquire) < seq) return false;
  return true;
}

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Not FUTEX_PRIVATE: the word lives in memory that other processes map.
void futex_wait(char* control, std::uint32_t expected, std::chrono::milliseconds timeout) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1000) * 1000000L;
  ::syscall(SYS_futex, control, FUTEX_WAIT, expected, &ts, nullptr, 0);
}
void futex_wake(char* control) { ::syscall(SYS_futex, control, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0); }

// Byte `rank` of a segment, locked by that rank as long as it has it mapped.
flock byte_lock(int rank) {
  flock lock{};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = rank;
  lock.l_len = 1;
  return lock;
}

std::string random_name() {
  std::random_device random;
  char name[64];
  std::snprintf(name, sizeof name, "/kf-allreduce-%d-%08x%08x", static_cast<int>(::getpid()), random(), random());
  return name;
}

// Maps `name` (created when `create`), locks byte `rank`; -1 on failure, with
// nothing left in /dev/shm of what it created.
int open_segment(const std::string& name, bool create, int rank, std::size_t bytes, void** data) {
  const int fd = create ? ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600)
                        : ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct stat st {};
  // fallocate, not ftruncate: a full /dev/shm fails here, not as SIGBUS later.
  const bool sized = create ? ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)) == 0
                            : ::fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) == bytes;
  flock lock = byte_lock(rank);
  *data = sized ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (*data != MAP_FAILED && ::fcntl(fd, F_OFD_SETLK, &lock) == 0) return fd;
  if (*data != MAP_FAILED) ::munmap(*data, bytes);
  ::close(fd);
  if (create) ::shm_unlink(name.c_str()); // ours: created above
  return -1;
}

} // namespace

std::unique_ptr<SharedSegment> SharedSegment::map(TcpStore& store, const std::string& key, int rank, int size,
                                                  std::size_t bytes) {
  std::string name;
  int fd = -1;
  void* data = MAP_FAILED;
  if (rank == 0) {
    name = random_name();
    fd = open_segment(name, true, rank, bytes, &data);
    if (fd < 0) name.clear(); // the others learn that there is none
    store.set(key + "/name", std::vector<char>(name.begin(), name.end()));
  } else {
    const std::vector<char> published = store.get(key + "/name");
    name.assign(published.begin(), published.end());
    if (!name.empty()) fd = open_segment(name, false, rank, bytes, &data);
  }
  store.set(key + "/" + std::to_string(rank), {fd >= 0 ? '1' : '0'});
  bool everyone = true;
  for (int r = 0; r < size; ++r) // every answer read (no short cut): then rank 0 may unlink
    everyone = store.get(key + "/" + std::to_string(r)) == std::vector<char>{'1'} && everyone;
  if (rank == 0 && !name.empty()) ::shm_unlink(name.c_str()); // every rank has answered: nothing stays in /dev/shm
  auto segment = fd >= 0 ? std::make_unique<SharedSegment>(fd, data, bytes) : nullptr;
  return everyone ? std::move(segment) : nullptr;
}

SharedSegment::~SharedSegment() {
  ::munmap(m_data, m_bytes);
  ::close(m_fd); // and with it this rank's lock
}

bool SharedSegment::holder_alive(int rank) const {
  flock lock = byte_lock(rank);
  if (::fcntl(m_fd, F_OFD_GETLK, &lock) != 0) return true; // cannot tell: the timeout will
  return lock.l_type != F_UNLCK;
}

std::unique_ptr<ShmAllreduce> ShmAllreduce::connect(TcpStore& store, int rank, int size,
                                                    std::chrono::milliseconds timeout) {
  const std::size_t bytes = header_bytes(size) + 2 * static_cast<std::size_t>(size) * k_scratch;
  auto control = SharedSegment::map(store, "kf/shm/control", rank, size, bytes);
  if (!control) return nullptr;
  return std::make_unique<ShmAllreduce>(store, rank, size, timeout, std::move(control));
}

ShmAllreduce::ShmAllreduce(TcpStore& store, int rank, int size, std::chrono::milliseconds timeout,
                           std::unique_ptr<SharedSegment> control)
    : m_store(store), m_rank(rank), m_size(size), m_timeout(timeout), m_control(std::move(control)) {}

ShmAllreduce::~ShmAllreduce() = default;

float* ShmAllreduce::buffer(std::size_t n) {
  const auto ranks = static_cast<std::size_t>(m_size);
  if (n == 0 || n > SIZE_MAX / sizeof(float) / ranks - k_align) return nullptr;
  const std::size_t stride = round_up(n, k_align);
  auto segment = SharedSegment::map(m_store, "kf/shm/buffer/" + std::to_string(m_segments++), m_rank, m_size,
                                    stride * ranks * sizeof(float));
  if (!segment) return nullptr;
  float* mine = reinterpret_cast<float*>(segment->data()) + stride * static_cast<std::size_t>(m_rank);
  m_own.push_back(Own{std::move(segment), n, stride});
  return mine;
}

void ShmAllreduce::sum(float* data, std::size_t n) {
  if (n == 0) return;
  const std::less_equal<const float*> at_or_before;
  for (const Own& own : m_own) {
    const float* mine =
        reinterpret_cast<const float*>(own.segment->data()) + own.stride * static_cast<std::size_t>(m_rank);
    if (at_or_before(mine, data) && at_or_before(data + n, mine + own.n)) {
      sum_in_place(own, static_cast<std::size_t>(data - mine), n);
      return;
    }
  }
  sum_copied(data, n);
}

void ShmAllreduce::sum(double* data, std::size_t n) {
  if (n > 0) sum_copied(data, n);
}

// Rank r sums its share of [offset, offset + n) over every rank's copy, in
// rank order, and writes the sum into every copy: the same bits everywhere.
// Nobody else touches that share between the two barriers, and after the
// second nobody touches this rank's copy until the next all-reduce's first.
void ShmAllreduce::sum_in_place(const Own& own, std::size_t offset, std::size_t n) {
  const auto ranks = static_cast<std::size_t>(m_size);
  const auto cut = [&](std::size_t r) {
    if (r == 0) return offset;
    if (r == ranks) return offset + n;
    return std::min(round_up(offset + n * r / ranks, k_align), offset + n);
  };
  const std::size_t lo = cut(static_cast<std::size_t>(m_rank)), hi = cut(static_cast<std::size_t>(m_rank) + 1);
  float* base = reinterpret_cast<float*>(own.segment->data());
  barrier(); // every rank's buffer is filled
  alignas(64) float block[k_block];
  for (std::size_t at = lo; at < hi; at += k_block) {
    const std::size_t m = std::min(k_block, hi - at);
    std::copy_n(base + at, m, block);
    for (std::size_t q = 1; q < ranks; ++q) {
      const float* from = base + q * own.stride + at;
      for (std::size_t i = 0; i < m; ++i) block[i] += from[i];
    }
    for (std::size_t q = 0; q < ranks; ++q) std::copy_n(block, m, base + q * own.stride + at);
  }
  barrier(); // every share is written into every copy
}

// Through a scratch slot of this rank's, in pieces; every rank sums every
// slot in rank order. The two areas alternate, so a rank that fills one
// never overwrites what a slower rank still reads: it passed a barrier
// that rank reached after reading.
template <typename T>
void ShmAllreduce::sum_copied(T* data, std::size_t n) {
  const std::size_t per_piece = k_scratch / sizeof(T);
  for (std::size_t at = 0; at < n; at += per_piece) {
    const std::size_t m = std::min(per_piece, n - at);
    char* area = m_control->data() + header_bytes(m_size) + m_area * static_cast<std::size_t>(m_size) * k_scratch;
    m_area ^= 1u;
    std::copy_n(data + at, m, reinterpret_cast<T*>(area + static_cast<std::size_t>(m_rank) * k_scratch));
    barrier();
    T* out = data + at;
    std::copy_n(reinterpret_cast<const T*>(area), m, out);
    for (int q = 1; q < m_size; ++q) {
      const T* from = reinterpret_cast<const T*>(area + static_cast<std::size_t>(q) * k_scratch);
      for (std::size_t i = 0; i < m; ++i) out[i] += from[i];
    }
  }
}

void ShmAllreduce::barrier() {
  char* control = m_control->data();
  const std::uint64_t seq = ++m_barriers;
  arrived(control, m_rank).store(seq, std::memory_order_release);
  wake_word(control).fetch_add(1, std::memory_order_seq_cst);
  if (sleepers(control).load(std::memory_order_seq_cst) > 0) futex_wake(control);
  wait_for(seq);
}

void ShmAllreduce::wait_for(std::uint64_t seq) {
  char* control = m_control->data();
  const auto start = std::chrono::steady_clock::now();
  // A peer that is nearly there costs no system call, and one a little
  // later only sched_yield: a futex wake-up takes tens of microseconds on a
  // VM, and a rank woken late would make its peer sleep at the next
  // barrier, and so on. Yielding leaves the core to a thread that needs it.
  for (unsigned i = 1;; ++i) {
    if (all_arrived(control, m_size, seq)) return;
    if (i % 64 != 0) {
      cpu_relax();
      continue;
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    if (waited >= k_yield) break;
    if (waited >= k_spin) ::sched_yield();
  }
  const auto deadline = start + m_timeout;
  for (;;) {
    const std::uint32_t seen = wake_word(control).load(std::memory_order_seq_cst);
    sleepers(control).fetch_add(1, std::memory_order_seq_cst);
    const bool done = all_arrived(control, m_size, seq);
    if (!done) futex_wait(control, seen, k_nap);
    sleepers(control).fetch_sub(1, std::memory_order_seq_cst);
    if (done || all_arrived(control, m_size, seq)) return;
    check_peers(seq, deadline);
  }
}

void ShmAllreduce::check_peers(std::uint64_t seq, std::chrono::steady_clock::time_point deadline) const {
  char* control = m_control->data();
  std::string missing;
  int count = 0;
  for (int q = 0; q < m_size; ++q) {
    if (arrived(control, q).load(std::memory_order_acquire) >= seq) continue;
    if (!m_control->holder_alive(q))
      throw std::runtime_error("rank " + std::to_string(q) + " exited (its shared-memory lock is gone)");
    missing += (missing.empty() ? "" : ", ") + std::to_string(q);
    ++count;
  }
  if (std::chrono::steady_clock::now() >= deadline)
    throw std::runtime_error("timed out after " + std::to_string(m_timeout.count() / 1000) + "s waiting for rank" +
                             (count > 1 ? "s " : " ") + missing);
}

} // namespace kf::trainer
