// kf-allreduce: checks (default) or times (--bench) the trainer's
// all-reduce (shared memory when every rank is on this host, else Gloo),
// broadcast and barrier over the same rendezvous as kf-trainer
// (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK or TF_CONFIG). With
// --tcp-stream it instead measures one raw TCP stream over loopback, the
// ceiling the all-reduce's bus bandwidth is compared with.
#include "runtime/cli.h"
#include "runtime/comm.h"
#include "runtime/error.h"

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

using namespace kf::trainer;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Value rank r contributes at index i; the sum over ranks is exact in float.
float contribution(int rank, std::size_t i) { return static_cast<float>(rank + 1) * static_cast<float>(i % 97 + 1) * 0.5f; }
// The sum over `ranks` ranks: rank 0's share times 1 + 2 + ... + ranks.
float want_sum(int ranks, std::size_t i) { return contribution(0, i) * static_cast<float>(ranks * (ranks + 1) / 2); }

// Two own buffers of the same size, asked for together, are two: each sums
// its own values.
bool check_two_buffers(Communicator& comm, std::size_t n) {
  float* a = comm.allreduce_buffer(n);
  float* b = comm.allreduce_buffer(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = contribution(comm.rank(), i);
    b[i] = 2.0f * contribution(comm.rank(), i);
  }
  comm.allreduce_sum(a, n);
  comm.allreduce_sum(b, n);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != want_sum(comm.size(), i) || b[i] != 2.0f * want_sum(comm.size(), i)) {
      std::fprintf(stderr,
                   "kf-allreduce: rank %d: two own buffers of %zu floats: element %zu is %g and %g, want %g and %g\n",
                   comm.rank(), n, i, static_cast<double>(a[i]), static_cast<double>(b[i]),
                   static_cast<double>(want_sum(comm.size(), i)), 2.0 * static_cast<double>(want_sum(comm.size(), i)));
      return false;
    }
  return true;
}

int check(Communicator& comm, const std::vector<std::size_t>& sizes) {
  const int w = comm.size();
  if (!sizes.empty() && !check_two_buffers(comm, sizes.front())) return 1;
  for (std::size_t n : sizes) {
    std::vector<float> f(n);
    std::vector<double> d(n);
    float* own = comm.allreduce_buffer(n); // sent as it is, in pieces when large
    for (std::size_t i = 0; i < n; ++i) {
      f[i] = own[i] = contribution(comm.rank(), i);
      d[i] = static_cast<double>(f[i]) + 0.25;
    }
    comm.allreduce_sum(f.data(), n);
    comm.allreduce_sum(d.data(), n);
    comm.allreduce_sum(own, n);
    for (std::size_t i = 0; i < n; ++i) {
      const float want = want_sum(w, i);
      if (f[i] != want || own[i] != want || d[i] != static_cast<double>(want) + 0.25 * w) {
        std::fprintf(stderr, "kf-allreduce: rank %d size %zu: element %zu is %g (own buffer %g, double %g), want %g\n",
                     comm.rank(), n, i, static_cast<double>(f[i]), static_cast<double>(own[i]), d[i],
                     static_cast<double>(want));
        return 1;
      }
    }
    // A range inside the own buffer (the engine's buckets): summed, and
    // nothing around it touched.
    const std::size_t lo = n / 3, hi = lo + (n + 1) / 2;
    for (std::size_t i = 0; i < n; ++i) own[i] = contribution(comm.rank(), i);
    comm.allreduce_sum(own + lo, hi - lo);
    for (std::size_t i = 0; i < n; ++i) {
      const float want = i >= lo && i < hi ? want_sum(w, i) : contribution(comm.rank(), i);
      if (own[i] != want) {
        std::fprintf(stderr, "kf-allreduce: rank %d size %zu, range [%zu, %zu): element %zu is %g, want %g\n",
                     comm.rank(), n, lo, hi, i, static_cast<double>(own[i]), static_cast<double>(want));
        return 1;
      }
    }
  }
  std::vector<char> bytes;
  if (comm.rank() == 0) bytes = {'k', 'f', '-', 'o', 'k'};
  comm.broadcast(bytes, 0);
  if (std::string(bytes.begin(), bytes.end()) != "kf-ok") {
    std::fprintf(stderr, "kf-allreduce: rank %d: broadcast gave the wrong bytes\n", comm.rank());
    return 1;
  }
  comm.barrier();
  std::printf("kf-allreduce: rank %d of %d: all-reduce correct for %zu sizes (%s)\n", comm.rank(), w, sizes.size(),
              comm.transport().c_str());
  return 0;
}

int bench(Communicator& comm, const std::vector<std::size_t>& sizes, int iters) {
  const double n = comm.size();
  for (std::size_t count : sizes) {
    // The communicator's own buffer, as the engine all-reduces its gradients.
    float* f = comm.allreduce_buffer(count);
    std::fill_n(f, count, 1.0f);
    comm.allreduce_sum(f, count); // warm-up
    comm.barrier();
    const double t0 = now_s();
    for (int i = 0; i < iters; ++i) comm.allreduce_sum(f, count);
    const double t = (now_s() - t0) / iters;
    const double algbw = static_cast<double>(count * sizeof(float)) / t / 1e9;
    if (comm.rank() == 0)
      std::printf("allreduce ranks=%d bytes=%zu time_us=%.1f algbw_GBps=%.3f busbw_GBps=%.3f transport=%s\n",
                  comm.size(), count * sizeof(float), t * 1e6, algbw, algbw * 2.0 * (n - 1.0) / n,
                  comm.transport().c_str());
  }
  return 0;
}

int tcp_stream(std::size_t total_bytes) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 1) != 0) return 1;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread receiver([&] {
    const int fd = ::accept(lfd, nullptr, nullptr);
    std::vector<char> buf(1 << 20);
    std::size_t got = 0;
    while (got < total_bytes) {
      const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    ::close(fd);
  });
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 1;
  std::vector<char> buf(1 << 20, 'x');
  const double t0 = now_s();
  std::size_t sent = 0;
  while (sent < total_bytes) {
    const ssize_t s = ::send(fd, buf.data(), std::min(buf.size(), total_bytes - sent), 0);
    if (s <= 0) return 1;
    sent += static_cast<std::size_t>(s);
  }
  ::shutdown(fd, SHUT_WR);
  receiver.join();
  const double t = now_s() - t0;
  ::close(fd);
  ::close(lfd);
  std::printf("tcp_stream bytes=%zu time_s=%.3f GBps=%.3f\n", total_bytes, t, static_cast<double>(total_bytes) / t / 1e9);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"kf-allreduce: check or time kf-trainer's all-reduce (shared memory or Gloo)", "kf-allreduce"};
  std::string sizes_text = "1,2,3,7,64,1000,4099,65537,1000003";
  bool do_bench = false;
  int iters = 20;
  std::size_t stream_bytes = 0;
  double timeout_s = 60.0;
  std::string shm = "auto";
  app.add_option("--sizes", sizes_text, "Element counts (floats), comma-separated")->capture_default_str();
  app.add_flag("--bench", do_bench, "Time instead of check; rank 0 prints algbw and busbw");
  app.add_option("--iters", iters, "Iterations per size with --bench")->capture_default_str();
  app.add_option("--tcp-stream", stream_bytes, "Measure one loopback TCP stream of this many bytes and exit");
  app.add_option("--rendezvous-timeout", timeout_s, "Seconds to wait for every rank")->capture_default_str();
  app.add_option("--shm-allreduce", shm, "auto: through shared memory when every rank is on this host; off: Gloo")
      ->check(CLI::IsMember({"auto", "off"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    if (stream_bytes > 0) return tcp_stream(stream_bytes);
    const std::vector<std::size_t> sizes = parse_size_list("--sizes", sizes_text);
    const WorldInfo world = world_from_env([](const char* name) { return std::getenv(name); });
    RendezvousOptions ro;
    ro.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
    ro.collective_timeout = ro.timeout;
    ro.shared_memory = shm == "auto";
    auto comm = connect_world(world, ro);
    return do_bench ? bench(*comm, sizes, iters) : check(*comm, sizes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kf-allreduce: error: %s\n", e.what());
    return 1;
  }
}
