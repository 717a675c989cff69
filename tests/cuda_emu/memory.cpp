// The CUDA emulator's device memory and runtime calls. Each allocation is
// mapped on its own, ends flush against a page that stays inaccessible (an
// overrun faults; an underrun into the rest of its first page does not),
// starts filled with NaN bytes (code that expects zeroed memory shows it),
// and is readable only while a DeviceAccess lives: during launches, copies
// and the emulated cuBLAS/NCCL calls. Host code that reads a device pointer
// therefore faults, as on a GPU. Freed memory stays mapped and inaccessible
// for the next 256 frees, so a stale pointer faults or is named rather than
// landing in a new allocation at the same address. Allocations are aligned
// to their size's natural alignment only, not cudaMalloc's 256 bytes.
// Copies check their direction; work "queued" on a stream has already run.
#include "internal.h"

#include <cuda_runtime.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

struct CUstream_st {};

namespace kf_cuda_emu {
namespace {

struct Allocation {
  char* base = nullptr;    // the mapping: `pages` bytes, then a guard page
  std::size_t pages = 0;
  std::size_t bytes = 0;   // what cudaMalloc was asked for, ending at base + pages
};

std::mutex g_mutex;
std::map<const char*, Allocation> g_allocations; // by the pointer cudaMalloc gave
std::deque<std::pair<const char*, Allocation>> g_freed; // the last frees, inaccessible
constexpr std::size_t k_quarantine = 256;
int g_open = 0;                                  // live DeviceAccess objects
cudaError_t g_last_error = cudaSuccess;
thread_local int t_device = 0; // cudaSetDevice's

// The machine's devices (KF_CUDA_EMULATOR_DEVICES, 1 to 16, default 1) as
// this process sees them: CUDA_VISIBLE_DEVICES's entries when it is set, read
// as CUDA reads them (up to the first that is not a device of the machine or
// names one again), else all. Read at every call: tests change them.
std::vector<int> visible_devices() {
  const char* v = std::getenv("KF_CUDA_EMULATOR_DEVICES");
  const int machine = v != nullptr && std::atoi(v) >= 1 && std::atoi(v) <= 16 ? std::atoi(v) : 1;
  std::vector<int> out;
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (visible == nullptr) {
    for (int d = 0; d < machine; ++d) out.push_back(d);
    return out;
  }
  for (const char* p = visible; *p != '\0';) {
    char* end = nullptr;
    const long d = std::strtol(p, &end, 10);
    if (end == p || d < 0 || d >= machine || std::find(out.begin(), out.end(), d) != out.end()) break;
    out.push_back(static_cast<int>(d));
    p = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end != '\0') break;
  }
  return out;
}

int device_count() { return static_cast<int>(visible_devices().size()); }

std::size_t page_size() {
  static const auto size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

void protect(const Allocation& a, bool open) {
  if (a.pages > 0 && mprotect(a.base, a.pages, open ? PROT_READ | PROT_WRITE : PROT_NONE) != 0)
    fail(std::string("mprotect: ") + std::strerror(errno));
}

cudaError_t report(cudaError_t e) {
  if (e != cudaSuccess) g_last_error = e;
  return e;
}

// The allocation holding [p, p + bytes) (for 0 bytes: p may be its end), or
// null. Caller holds g_mutex.
const Allocation* find(const void* p, std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  auto it = g_allocations.upper_bound(c);
  if (it == g_allocations.begin()) return nullptr;
  --it;
  const char* end = it->first + it->second.bytes;
  const bool inside = c >= it->first && (bytes == 0 ? c <= end : c < end);
  return inside && bytes <= static_cast<std::size_t>(end - c) ? &it->second : nullptr;
}

bool touches_device(const void* p) {
  return find(p, 1) != nullptr;
}

// Whether a copy's pointers are where `kind` says they are.
bool direction_holds(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  const std::lock_guard lock(g_mutex);
  const bool dst_device = find(dst, bytes) != nullptr, src_device = find(src, bytes) != nullptr;
  switch (kind) {
  case cudaMemcpyHostToHost: return !touches_device(dst) && !touches_device(src);
  case cudaMemcpyHostToDevice: return dst_device && !touches_device(src);
  case cudaMemcpyDeviceToHost: return src_device && !touches_device(dst);
  case cudaMemcpyDeviceToDevice: return dst_device && src_device;
  case cudaMemcpyDefault: return (dst_device || !touches_device(dst)) && (src_device || !touches_device(src));
  }
  return false;
}

} // namespace

bool is_device(const void* p, std::size_t bytes) {
  const std::lock_guard lock(g_mutex);
  return find(p, bytes) != nullptr;
}

void require_device_argument(const char* name, std::size_t index, const void* p) {
  if (p == nullptr || is_device(p, 0)) return;
  bool freed = false;
  {
    const std::lock_guard lock(g_mutex);
    const char* c = static_cast<const char*>(p);
    for (const auto& [user, a] : g_freed) freed = freed || (c >= user && c <= user + a.bytes);
  }
  fail(std::string(name) + ": argument " + std::to_string(index) +
       (freed ? " points to device memory that was freed (cudaFree): a use after free"
              : " points to host memory, not device memory: a GPU would fault on it"));
}

DeviceAccess::DeviceAccess() {
  const std::lock_guard lock(g_mutex);
  if (g_open++ == 0)
    for (const auto& [p, a] : g_allocations) protect(a, true);
}

DeviceAccess::~DeviceAccess() {
  const std::lock_guard lock(g_mutex);
  if (--g_open == 0)
    for (const auto& [p, a] : g_allocations) protect(a, false);
}

int current_device() { return t_device; }

int machine_device() {
  const auto visible = visible_devices();
  return t_device < static_cast<int>(visible.size()) ? visible[static_cast<std::size_t>(t_device)] : -1;
}

void fail(const std::string& message) {
  std::fprintf(stderr, "CUDA emulator: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

} // namespace kf_cuda_emu

using kf_cuda_emu::report;

cudaError_t cudaGetDeviceCount(int* count) {
  *count = kf_cuda_emu::device_count();
  return *count > 0 ? cudaSuccess : report(cudaErrorNoDevice);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= kf_cuda_emu::device_count()) return report(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::strncpy(prop->name, "kf CUDA emulator (host)", sizeof prop->name - 1);
  prop->totalGlobalMem = std::size_t{1} << 30;
  prop->major = 9;
  prop->multiProcessorCount = 1;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= kf_cuda_emu::device_count()) return report(cudaErrorInvalidDevice);
  kf_cuda_emu::t_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = kf_cuda_emu::g_last_error;
  kf_cuda_emu::g_last_error = cudaSuccess;
  return e;
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
  case cudaSuccess: return "no error";
  case cudaErrorInvalidValue: return "invalid argument";
  case cudaErrorMemoryAllocation: return "out of memory";
  case cudaErrorInvalidConfiguration: return "invalid configuration argument";
  case cudaErrorInvalidDevicePointer: return "invalid device pointer";
  case cudaErrorInvalidDevice: return "invalid device ordinal";
  case cudaErrorNoDevice: return "no CUDA-capable device is detected";
  }
  return "unrecognized error code";
}

cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  using namespace kf_cuda_emu;
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  Allocation a;
  a.bytes = bytes;
  a.pages = (bytes + page_size() - 1) / page_size() * page_size();
  void* map = mmap(nullptr, a.pages + page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return report(cudaErrorMemoryAllocation);
  a.base = static_cast<char*>(map);
  char* user = a.base + a.pages - bytes;
  const std::lock_guard lock(g_mutex);
  protect(a, true);
  std::memset(user, 0xff, bytes); // NaN floats: memory is not zeroed on a GPU either
  if (g_open == 0) protect(a, false);
  g_allocations.emplace(user, a);
  *ptr = user;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  using namespace kf_cuda_emu;
  if (ptr == nullptr) return cudaSuccess;
  const std::lock_guard lock(g_mutex);
  const auto it = g_allocations.find(static_cast<const char*>(ptr));
  if (it == g_allocations.end()) return report(cudaErrorInvalidDevicePointer);
  protect(it->second, false); // even while device work has memory open
  g_freed.emplace_back(*it);
  g_allocations.erase(it);
  if (g_freed.size() > k_quarantine) {
    munmap(g_freed.front().second.base, g_freed.front().second.pages + page_size());
    g_freed.pop_front();
  }
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  if (!kf_cuda_emu::direction_holds(dst, src, bytes, kind)) return report(cudaErrorInvalidValue);
  const kf_cuda_emu::DeviceAccess access;
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}

cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (!kf_cuda_emu::is_device(ptr, bytes)) return report(cudaErrorInvalidValue);
  const kf_cuda_emu::DeviceAccess access;
  std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes, cudaStream_t) {
  return cudaMemset(ptr, value, bytes);
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  *stream = new CUstream_st;
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
