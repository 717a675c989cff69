// The rendezvous (TcpStore check-in, then Gloo's full mesh) and the Gloo
// communicator. Gloo's exceptions become trainer::Error here.
#include "runtime/comm.h"

#include "runtime/error.h"
#include "runtime/tcp_store.h"

#include <gloo/allreduce.h>
#include <gloo/allreduce_ring_chunked.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <type_traits>

namespace kf::trainer {
namespace {

class LocalCommunicator : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(float*, std::size_t) override {}
  void allreduce_sum(double*, std::size_t) override {}
  void broadcast(std::vector<char>&, int) override {}
  void barrier() override {}
};

// Small all-reduces on a second Gloo context whose pairs are in sync mode:
// the calling thread reads its own socket (blocking, under the collective
// timeout). In the default mode every message passes through Gloo's
// event-loop thread, a wake-up more on each side, and the unbound-buffer
// ring sends at least 2 x ranks segments each way however small the buffer:
// on this kind of VM that cost 1.5-10x up to 1 MiB (bench/RESULTS.md).
//
// In sync mode a send is a blocking write, and Gloo's chunked ring has
// every rank write two chunks (2/ranks of the buffer) before it reads: if
// the connection cannot hold them, every rank blocks in write and the step
// ends in the collective timeout. So only buffers whose two chunks fit what
// a fresh TCP connection holds go this way: 512 KiB when every rank is on
// this host (loopback starts with a send buffer of over a megabyte), 32 KiB
// between hosts; larger ones take the default ring.
//
// Gloo's algorithms for sync pairs bind their buffers when built, so there
// is one per element type and count, over a buffer of its own that the data
// is copied through (or not: buffer()); every rank builds them in the same
// order, as it calls.
class SyncRings {
public:
  SyncRings(std::shared_ptr<gloo::Context> context, bool one_host)
      : m_context(std::move(context)), m_max_burst(one_host ? 512u << 10 : 32u << 10) {}

  // False (nothing sent) when the default ring should take it.
  template <typename T>
  bool sum(T* data, std::size_t n) {
    if (n * sizeof(T) > m_max_burst * static_cast<std::size_t>(m_context->size)) return false;
    if constexpr (std::is_same_v<T, float>) {
      const auto own = m_own.find(n);
      if (own != m_own.end() && own->second.buffer.data() == data) {
        own->second.algorithm->run();
        return true;
      }
    }
    Ring<T>& ring = ring_of<T>(copied<T>(), n);
    std::copy_n(data, n, ring.buffer.data());
    ring.algorithm->run();
    std::copy_n(ring.buffer.data(), n, data);
    return true;
  }

  // A buffer of n floats that sum() sends without copying (built now, a
  // ring of its own), or null when sum() would not take n floats.
  float* buffer(std::size_t n) {
    if (n * sizeof(float) > m_max_burst * static_cast<std::size_t>(m_context->size)) return nullptr;
    return ring_of<float>(m_own, n).buffer.data();
  }

private:
  template <typename T>
  struct Ring {
    std::vector<T> buffer;
    std::unique_ptr<gloo::AllreduceRingChunked<T>> algorithm; // reduce-scatter + all-gather: the same bits on every rank
  };
  template <typename T>
  using Rings = std::map<std::size_t, Ring<T>>;

  template <typename T>
  Ring<T>& ring_of(Rings<T>& rings, std::size_t n) {
    Ring<T>& ring = rings[n];
    if (!ring.algorithm) {
      ring.buffer.resize(n);
      ring.algorithm = std::make_unique<gloo::AllreduceRingChunked<T>>(m_context, std::vector<T*>{ring.buffer.data()},
                                                                        static_cast<int>(n));
    }
    return ring;
  }

  template <typename T>
  Rings<T>& copied() {
    if constexpr (std::is_same_v<T, float>) return m_floats;
    else return m_doubles;
  }

  std::shared_ptr<gloo::Context> m_context;
  std::size_t m_max_burst; // bytes a rank may write before it reads
  Rings<float> m_floats, m_own; // copied through; buffer()'s
  Rings<double> m_doubles;
};

class GlooCommunicator : public Communicator {
public:
  GlooCommunicator(std::unique_ptr<TcpStoreServer> server, std::unique_ptr<TcpStore> store,
                   std::shared_ptr<gloo::Context> context, std::shared_ptr<gloo::Context> sync_context, bool one_host)
      : m_server(std::move(server)), m_store(std::move(store)), m_context(std::move(context)),
        m_rings(std::move(sync_context), one_host) {}

  int rank() const override { return m_context->rank; }
  int size() const override { return m_context->size; }

  void allreduce_sum(float* data, std::size_t n) override { allreduce(data, n); }
  void allreduce_sum(double* data, std::size_t n) override { allreduce(data, n); }
  float* allreduce_buffer(std::size_t n) override {
    if (float* own = m_rings.buffer(n)) return own;
    return Communicator::allreduce_buffer(n);
  }

  void broadcast(std::vector<char>& bytes, int root) override {
    guard("broadcast", [&] {
      std::uint64_t size = bytes.size();
      gloo::BroadcastOptions a(m_context);
      a.setOutput(&size, 1);
      a.setRoot(root);
      a.setTag(next_tag());
      gloo::broadcast(a);
      bytes.resize(size);
      if (size == 0) return;
      gloo::BroadcastOptions b(m_context);
      b.setOutput(bytes.data(), bytes.size());
      b.setRoot(root);
      b.setTag(next_tag());
      gloo::broadcast(b);
    });
  }

  void barrier() override {
    guard("barrier", [&] {
      gloo::BarrierOptions opts(m_context);
      opts.setTag(next_tag());
      gloo::barrier(opts);
    });
  }

  gloo::rendezvous::Store* store() override { return m_store.get(); }

private:
  template <typename T>
  void allreduce(T* data, std::size_t n) {
    if (n == 0) return;
    guard("all-reduce", [&] {
      if (m_rings.sum(data, n)) return;
      gloo::AllreduceOptions opts(m_context);
      opts.setOutput(data, n);
      opts.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, std::size_t)>(&gloo::sum<T>));
      opts.setTag(next_tag());
      gloo::allreduce(opts);
    });
  }

  template <typename F>
  void guard(const char* what, F&& f) {
    try {
      f();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) { // gloo::Exception, gloo::EnforceNotMet
      throw Error(std::string(what) + " failed on rank " + std::to_string(rank()) +
                  " (a peer may have died): " + e.what());
    }
  }

  std::uint32_t next_tag() { return m_tag++ & 0xffffff; }

  std::unique_ptr<TcpStoreServer> m_server; // rank 0 only; lives as long as the job
  std::unique_ptr<TcpStore> m_store;
  std::shared_ptr<gloo::Context> m_context;
  std::uint32_t m_tag = 0;
  SyncRings m_rings; // the small all-reduces; the rest, broadcast and barrier stay on m_context
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1";
}

std::string key_arrived(int rank) { return "kf/arrived/" + std::to_string(rank); }

} // namespace

std::unique_ptr<Communicator> make_local_communicator() { return std::make_unique<LocalCommunicator>(); }

std::unique_ptr<Communicator> connect_world(const WorldInfo& world, const RendezvousOptions& options) {
  if (world.size == 1) return make_local_communicator();
  std::unique_ptr<TcpStoreServer> server;
  if (world.rank == 0) server = std::make_unique<TcpStoreServer>(world.master_port);
  const std::string store_host = world.rank == 0 ? std::string("127.0.0.1") : world.master_addr;
  auto store = std::make_unique<TcpStore>(store_host, world.master_port, options.timeout);

  // Check in, then wait for everyone, so a missing peer is named.
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  const std::string me(host);
  store->set(key_arrived(world.rank), std::vector<char>(me.begin(), me.end()));
  std::vector<std::string> keys;
  for (int r = 0; r < world.size; ++r) keys.push_back(key_arrived(r));
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  for (;;) {
    const auto present = store->check(keys);
    std::string missing;
    int count = 0;
    for (int r = 0; r < world.size; ++r)
      if (!present[static_cast<std::size_t>(r)]) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(r);
        ++count;
      }
    if (count == 0) break;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error("rendezvous timed out after " + std::to_string(options.timeout.count() / 1000) + "s at " +
                  world.master_addr + ":" + std::to_string(world.master_port) + ": rank" + (count > 1 ? "s " : " ") +
                  missing + " of " + std::to_string(world.size) + " never arrived");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  std::string bind = options.bind_host;
  if (bind.empty()) bind = is_loopback(world.master_addr) ? "127.0.0.1" : me;
  try {
    gloo::transport::tcp::attr attr;
    attr.hostname = bind;
    auto device = gloo::transport::tcp::CreateDevice(attr);
    auto context = std::make_shared<gloo::rendezvous::Context>(world.rank, world.size);
    context->setTimeout(options.collective_timeout);
    gloo::rendezvous::PrefixStore prefixed("gloo", *store);
    context->connectFullMesh(prefixed, device);
    auto sync_context = std::make_shared<gloo::rendezvous::Context>(world.rank, world.size);
    sync_context->setTimeout(options.collective_timeout);
    gloo::rendezvous::PrefixStore prefixed_sync("gloo-sync", *store);
    sync_context->connectFullMesh(prefixed_sync, device);
    for (int r = 0; r < world.size; ++r)
      if (r != world.rank) sync_context->getPair(r)->setSync(true, false); // blocking reads, no busy-polling
    auto comm = std::make_unique<GlooCommunicator>(std::move(server), std::move(store), context, sync_context,
                                                   is_loopback(world.master_addr));
    return comm;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) { // gloo::Exception, gloo::EnforceNotMet
    throw Error("rendezvous: Gloo could not connect rank " + std::to_string(world.rank) + " (bind host " + bind +
                "): " + e.what());
  }
}

} // namespace kf::trainer
