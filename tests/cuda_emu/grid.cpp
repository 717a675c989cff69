// The CUDA emulator's kernel launches: every block of the grid in turn on the
// launching host thread. The threads of a block run as fibers (ucontext), so
// __syncthreads() is a real barrier: each fiber runs until it reaches the
// barrier or ends, then the next one runs; once all are there, all go on.
// A kernel whose block 0 reached no barrier in its first launch runs its
// threads one after another without fibers from then on (a fiber costs
// system calls); a barrier reached there anyway stops the emulator, and so
// does a barrier that some threads of a block wait at while others have
// ended: a barrier that depends on the block, the thread or the data is
// undefined on a GPU, where it may hang.
#include "internal.h"

#include <cuda_runtime.h>

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define KF_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KF_EMU_ASAN 1
#endif
#endif
#ifdef KF_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace kf_cuda_emu {
namespace {

constexpr std::size_t k_stack_bytes = 64 * 1024; // a fiber's stack: kernels keep little on it
constexpr unsigned long long k_max_threads = 1024;

// A fiber's stack, with an inaccessible page below it: an overflow faults.
class Stack {
public:
  Stack() {
    void* map = mmap(nullptr, k_stack_bytes + guard(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map, guard(), PROT_NONE) != 0) fail("cannot map a fiber's stack");
    m_map = static_cast<char*>(map);
  }
  ~Stack() { munmap(m_map, k_stack_bytes + guard()); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  char* bottom() const { return m_map + guard(); }

private:
  static std::size_t guard() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }
  char* m_map = nullptr;
};

struct Fiber {
  ucontext_t context{};
  std::unique_ptr<Stack> stack;
  bool done = false;
  bool waiting = false; // at a barrier
};

// The block now running on this host thread.
struct Block {
  const char* kernel = "";
  const std::function<void()>* body = nullptr;
  std::vector<Fiber> fibers;
  Fiber* current = nullptr;
  ucontext_t scheduler{};
  const void* scheduler_bottom = nullptr; // the scheduler's stack, for the sanitizer
  std::size_t scheduler_size = 0;
  bool fibered = false; // threads run as fibers
  bool synced = false;  // a thread reached __syncthreads()
};
thread_local Block t_block;

// Whether each kernel reached a barrier in its first launch.
std::mutex g_verdicts_mutex;
std::map<const void*, bool> g_synchronises;

dim3 index_of(unsigned long long i, dim3 d) {
  return dim3(static_cast<unsigned>(i % d.x), static_cast<unsigned>(i / d.x % d.y),
              static_cast<unsigned>(i / (static_cast<unsigned long long>(d.x) * d.y)));
}

// swapcontext with AddressSanitizer told which stack comes next.
void switch_context(ucontext_t* from, const ucontext_t* to, const void* to_bottom, std::size_t to_size) {
#ifdef KF_EMU_ASAN
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, to_bottom, to_size);
  swapcontext(from, to);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#else
  (void)to_bottom;
  (void)to_size;
  swapcontext(from, to);
#endif
}

void fiber_main() {
  Block& b = t_block;
#ifdef KF_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &b.scheduler_bottom, &b.scheduler_size);
#endif
  (*b.body)();
  b.current->done = true;
#ifdef KF_EMU_ASAN
  __sanitizer_start_switch_fiber(nullptr, b.scheduler_bottom, b.scheduler_size); // this fiber ends
#endif
  setcontext(&b.scheduler);
}

// Runs one block's threads as fibers until all have ended.
void run_fibers(Block& b, unsigned long long threads) {
  if (b.fibers.size() < threads) b.fibers.resize(threads);
  for (unsigned long long t = 0; t < threads; ++t) {
    Fiber& f = b.fibers[t];
    if (!f.stack) f.stack = std::make_unique<Stack>();
    f.done = false;
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack->bottom();
    f.context.uc_stack.ss_size = k_stack_bytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_main, 0);
  }
  b.fibered = true;
  for (unsigned long long live = threads; live > 0;) { // one round per barrier
    unsigned long long waiting = 0;
    for (unsigned long long t = 0; t < threads; ++t) {
      Fiber& f = b.fibers[t];
      if (f.done) continue;
      threadIdx = index_of(t, blockDim);
      b.current = &f;
      f.waiting = false;
      switch_context(&b.scheduler, &f.context, f.stack->bottom(), k_stack_bytes);
      if (f.done) --live;
      if (f.waiting) ++waiting;
    }
    if (waiting > 0 && waiting < threads)
      fail(std::string(b.kernel) + ": __syncthreads() in block " + std::to_string(blockIdx.x) + " reached by " +
           std::to_string(waiting) + " of its " + std::to_string(threads) +
           " threads, the others ended: every thread of a block must reach the same barriers");
  }
  b.fibered = false;
}

void run_in_turn(Block& b, unsigned long long threads) {
  for (unsigned long long t = 0; t < threads; ++t) {
    threadIdx = index_of(t, blockDim);
    (*b.body)();
  }
}

bool valid(dim3 grid, dim3 block) {
  const unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
  return grid.x > 0 && grid.y > 0 && grid.z > 0 && grid.y <= 65535 && grid.z <= 65535 && threads > 0 &&
         threads <= k_max_threads && block.z <= 64;
}

std::string describe(dim3 d) {
  return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")";
}

} // namespace

void run_grid(dim3 grid, dim3 block, const void* function, const char* kernel, const std::function<void()>& body) {
  if (!valid(grid, block))
    fail(std::string(kernel) + " launched with grid " + describe(grid) + " and block " + describe(block) +
         ": CUDA refuses this configuration (cudaErrorInvalidConfiguration) and runs nothing");
  Block& b = t_block;
  b.kernel = kernel;
  b.body = &body;
  b.synced = false;
  const DeviceAccess access;
  gridDim = grid;
  blockDim = block;
  const unsigned long long blocks = static_cast<unsigned long long>(grid.x) * grid.y * grid.z;
  const unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
  std::optional<bool> synchronises;
  {
    const std::lock_guard lock(g_verdicts_mutex);
    if (const auto it = g_synchronises.find(function); it != g_synchronises.end()) synchronises = it->second;
  }
  for (unsigned long long i = 0; i < blocks; ++i) {
    blockIdx = index_of(i, grid);
    if (synchronises.value_or(true))
      run_fibers(b, threads);
    else
      run_in_turn(b, threads);
    if (!synchronises) {
      synchronises = b.synced;
      const std::lock_guard lock(g_verdicts_mutex);
      g_synchronises.emplace(function, b.synced);
    }
  }
  b.body = nullptr;
}

} // namespace kf_cuda_emu

void __syncthreads() {
  auto& b = kf_cuda_emu::t_block;
  if (!b.fibered)
    kf_cuda_emu::fail(std::string(b.kernel) + ": __syncthreads() in block " + std::to_string(blockIdx.x) +
                      " though block 0 of its first launch reached none: every block of every launch must reach "
                      "the same barriers");
  b.synced = true;
  b.current->waiting = true;
  kf_cuda_emu::switch_context(&b.current->context, &b.scheduler, b.scheduler_bottom, b.scheduler_size);
}
