// The rendezvous (TcpStore check-in, then Gloo's full mesh) and the Gloo
// communicator. Gloo's exceptions become trainer::Error here.
#include "runtime/comm.h"

#include "runtime/error.h"
#include "runtime/shm_allreduce.h"
#include "runtime/sync_rings.h"
#include "runtime/tcp_store.h"

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include <unistd.h>

#include <optional>
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

class GlooCommunicator : public Communicator {
public:
  GlooCommunicator(std::unique_ptr<TcpStoreServer> server, std::unique_ptr<TcpStore> store,
                   std::unique_ptr<ShmAllreduce> shm, std::shared_ptr<gloo::Context> context,
                   std::shared_ptr<gloo::Context> sync_context, bool one_host)
      : m_server(std::move(server)), m_store(std::move(store)), m_shm(std::move(shm)), m_context(std::move(context)) {
    if (sync_context) m_rings.emplace(std::move(sync_context), one_host);
  }

  int rank() const override { return m_context->rank; }
  int size() const override { return m_context->size; }

  void allreduce_sum(float* data, std::size_t n) override { allreduce(data, n); }
  void allreduce_sum(double* data, std::size_t n) override { allreduce(data, n); }
  float* allreduce_buffer(std::size_t n) override {
    if (float* own = m_shm ? guard("all-reduce", [&] { return m_shm->buffer(n); }) : m_rings->buffer(n)) return own;
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

  std::string transport() const override { return m_shm ? "shared-memory" : "Gloo"; }
  gloo::rendezvous::Store* store() override { return m_store.get(); }

private:
  template <typename T>
  void allreduce(T* data, std::size_t n) {
    if (n == 0) return;
    guard("all-reduce", [&] {
      if (m_shm) return m_shm->sum(data, n);
      if (m_rings->sum(data, n)) return;
      gloo::AllreduceOptions opts(m_context);
      opts.setOutput(data, n);
      opts.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, std::size_t)>(&gloo::sum<T>));
      opts.setTag(next_tag());
      gloo::allreduce(opts);
    });
  }

  template <typename F>
  std::invoke_result_t<F> guard(const char* what, F&& f) {
    try {
      return f();
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
  std::unique_ptr<ShmAllreduce> m_shm; // every rank on this host: the all-reduces
  std::shared_ptr<gloo::Context> m_context;
  std::uint32_t m_tag = 0;
  // Without shared memory: the small all-reduces and the engine's gradients;
  // the rest, broadcast and barrier stay on m_context.
  std::optional<SyncRings> m_rings;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1";
}

std::string key_arrived(int rank) { return "kf/arrived/" + std::to_string(rank); }
std::string key_shm_wanted(int rank) { return "kf/shm-wanted/" + std::to_string(rank); }

// Every rank checked in from the same host and wants shared memory: the
// same answer on every rank, from the same keys.
bool share_memory(TcpStore& store, int size) {
  const std::vector<char> host = store.get(key_arrived(0));
  for (int r = 0; r < size; ++r)
    if (store.get(key_arrived(r)) != host || store.get(key_shm_wanted(r)) != std::vector<char>{'1'}) return false;
  return true;
}

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
  store->set(key_shm_wanted(world.rank), {options.shared_memory ? '1' : '0'}); // before arriving: read once all have
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

  std::unique_ptr<ShmAllreduce> shm;
  if (share_memory(*store, world.size))
    shm = ShmAllreduce::connect(*store, world.rank, world.size, options.collective_timeout);

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
    std::shared_ptr<gloo::rendezvous::Context> sync_context; // the all-reduces' when shared memory does not carry them
    if (!shm) {
      sync_context = std::make_shared<gloo::rendezvous::Context>(world.rank, world.size);
      sync_context->setTimeout(options.collective_timeout);
      gloo::rendezvous::PrefixStore prefixed_sync("gloo-sync", *store);
      sync_context->connectFullMesh(prefixed_sync, device);
      for (int r = 0; r < world.size; ++r)
        if (r != world.rank) sync_context->getPair(r)->setSync(true, false); // blocking reads, no busy-polling
    }
    auto comm = std::make_unique<GlooCommunicator>(std::move(server), std::move(store), std::move(shm), context,
                                                   sync_context, is_loopback(world.master_addr));
    return comm;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) { // gloo::Exception, gloo::EnforceNotMet
    throw Error("rendezvous: Gloo could not connect rank " + std::to_string(world.rank) + " (bind host " + bind +
                "): " + e.what());
  }
}

} // namespace kf::trainer
