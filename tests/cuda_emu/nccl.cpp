// The CUDA emulator's NCCL: ranks are processes on this host (as kf-trainer's
// workers are), meeting in a POSIX shared-memory segment named after the
// unique id, which the caller hands to every rank as with real NCCL. An
// all-reduce copies each rank's piece into its slot, waits for all, and has
// every rank sum the slots in rank order (the same bits everywhere), in
// rounds of a fixed slot size. Rank 0 unlinks the segment once every rank
// has mapped it. Two ranks on one device are refused, as NCCL refuses them;
// a rank that never arrives stops the emulator after
// KF_CUDA_EMULATOR_TIMEOUT seconds (default 600, kf-trainer's collective
// timeout: a rank may checkpoint or evaluate while the others wait).
#include "internal.h"

#include <nccl.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>

namespace {

constexpr int k_max_ranks = 64;
constexpr std::size_t k_slot_bytes = std::size_t{1} << 20;

// The start of the segment; the ranks' slots follow.
struct Header {
  std::atomic<std::uint64_t> arrived[k_max_ranks]; // barriers each rank has reached
  std::atomic<int> device[k_max_ranks];            // each rank's device + 1
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the barrier needs address-free atomics");

std::string segment_name(const ncclUniqueId& id) {
  static const char* hex = "0123456789abcdef";
  std::string name = "/kf-nccl-emu-";
  for (int i = 0; i < 16; ++i) {
    const auto b = static_cast<unsigned char>(id.internal[i]);
    name += hex[b >> 4];
    name += hex[b & 15];
  }
  return name;
}

double timeout_seconds() {
  const char* v = std::getenv("KF_CUDA_EMULATOR_TIMEOUT");
  return v != nullptr && std::atof(v) > 0.0 ? std::atof(v) : 600.0;
}

} // namespace

struct ncclComm {
  int rank = 0, nranks = 1;
  void* map = nullptr;
  std::size_t bytes = 0;
  Header* header = nullptr;
  char* slots = nullptr;
  std::uint64_t barriers = 0;
  double timeout = timeout_seconds();
  std::string name; // the segment's, until unlinked

  char* slot(int r) const { return slots + static_cast<std::size_t>(r) * k_slot_bytes; }

  // Every rank arrives before any goes on.
  void barrier() {
    const std::uint64_t mine = ++barriers;
    header->arrived[rank].store(mine, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
    for (int r = 0; r < nranks; ++r)
      for (int spins = 0; header->arrived[r].load(std::memory_order_acquire) < mine; ++spins) {
        if (spins < 1000) {
          std::this_thread::yield();
          continue;
        }
        if (std::chrono::steady_clock::now() > deadline) {
          if (!name.empty()) shm_unlink(name.c_str()); // nothing left behind in /dev/shm
          char waited[32];
          std::snprintf(waited, sizeof waited, "%g", timeout);
          kf_cuda_emu::fail("NCCL: rank " + std::to_string(rank) + " waited " + waited + " s for rank " +
                            std::to_string(r) + ", which never arrived");
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
  }
};

ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  std::random_device random;
  for (char& c : id->internal) c = static_cast<char>(random());
  return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank) {
  if (nranks < 1 || nranks > k_max_ranks || rank < 0 || rank >= nranks) return ncclInvalidArgument;
  auto c = std::make_unique<ncclComm>();
  c->rank = rank;
  c->nranks = nranks;
  c->bytes = sizeof(Header) + static_cast<std::size_t>(nranks) * k_slot_bytes;
  c->name = segment_name(id);
  const int fd = shm_open(c->name.c_str(), O_CREAT | O_RDWR, 0600);
  if (fd < 0) return ncclSystemError;
  const bool sized = ftruncate(fd, static_cast<off_t>(c->bytes)) == 0;
  c->map = sized ? mmap(nullptr, c->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  close(fd);
  if (c->map == MAP_FAILED) return ncclSystemError;
  c->header = static_cast<Header*>(c->map);
  c->slots = static_cast<char*>(c->map) + sizeof(Header);
  c->header->device[rank].store(kf_cuda_emu::machine_device() + 1);
  c->barrier(); // every rank has mapped the segment
  if (rank == 0) shm_unlink(c->name.c_str());
  c->name.clear();
  for (int r = 0; r < nranks; ++r)
    if (r != rank && c->header->device[r].load() == kf_cuda_emu::machine_device() + 1) {
      munmap(c->map, c->bytes);
      return ncclInvalidUsage; // NCCL: "Duplicate GPU detected"
    }
  *comm = c.release();
  return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  if (comm == nullptr) return ncclSuccess;
  munmap(comm->map, comm->bytes);
  delete comm;
  return ncclSuccess;
}

namespace {

template <typename T>
void sum_round(ncclComm& c, const T* send, T* recv, std::size_t n) {
  std::memcpy(c.slot(c.rank), send, n * sizeof(T));
  c.barrier();
  for (std::size_t i = 0; i < n; ++i) {
    T acc = reinterpret_cast<const T*>(c.slot(0))[i];
    for (int r = 1; r < c.nranks; ++r) acc += reinterpret_cast<const T*>(c.slot(r))[i];
    recv[i] = acc;
  }
  c.barrier(); // before anyone writes its slot again
}

template <typename T>
void sum(ncclComm& c, const void* send, void* recv, std::size_t count) {
  const std::size_t per_round = k_slot_bytes / sizeof(T);
  for (std::size_t at = 0; at < count; at += per_round)
    sum_round(c, static_cast<const T*>(send) + at, static_cast<T*>(recv) + at, std::min(per_round, count - at));
}

} // namespace

ncclResult_t ncclAllReduce(const void* send, void* recv, std::size_t count, ncclDataType_t type, ncclRedOp_t op,
                           ncclComm_t comm, cudaStream_t) {
  if (comm == nullptr || op != ncclSum || (type != ncclFloat && type != ncclDouble)) return ncclInvalidArgument;
  const std::size_t size = type == ncclDouble ? 8 : 4;
  if (!kf_cuda_emu::is_device(send, count * size) || !kf_cuda_emu::is_device(recv, count * size))
    kf_cuda_emu::fail("ncclAllReduce: a buffer of " + std::to_string(count) + " elements is not in device memory");
  const kf_cuda_emu::DeviceAccess access;
  if (type == ncclDouble)
    sum<double>(*comm, send, recv, count);
  else
    sum<float>(*comm, send, recv, count);
  return ncclSuccess;
}

const char* ncclGetErrorString(ncclResult_t result) {
  switch (result) {
  case ncclSuccess: return "no error";
  case ncclSystemError: return "unhandled system error (shared memory for the emulated NCCL)";
  case ncclInvalidArgument: return "invalid argument (the emulated NCCL sums floats and doubles)";
  case ncclInvalidUsage: return "invalid usage (two ranks on one device)";
  default: return "NCCL error";
  }
}
