#pragma once
// Communicator: the collectives data-parallel training needs (sum
// all-reduce, broadcast, barrier) behind one interface. connect_world()
// runs the rendezvous: rank 0 hosts a TcpStoreServer at
// MASTER_ADDR:MASTER_PORT, every rank checks in, and a peer that has not
// arrived within the timeout ends the run with an error naming the missing
// ranks; then Gloo connects a full TCP mesh through the store. When every
// rank is on one host, the all-reduces go through shared memory instead
// (shm_allreduce.h); broadcast and barrier stay on Gloo.
// A world of one gets a communicator whose collectives are no-ops.
// Collectives must be called in the same order on every rank.

#include "runtime/world.h"

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace gloo::rendezvous {
class Store;
}

namespace kf::trainer {

class Communicator {
public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void allreduce_sum(float* data, std::size_t n) = 0;
  virtual void allreduce_sum(double* data, std::size_t n) = 0;
  // n floats for a caller that all-reduces the same whole buffer every step
  // (the engine's gradients): all-reducing exactly (it, n) may then skip
  // copying it through the transport's own buffer. Lives as long as the
  // communicator; every rank asks for the same sizes in the same order.
  virtual float* allreduce_buffer(std::size_t n) {
    m_buffers.emplace_back(n);
    return m_buffers.back().data();
  }
  // Root's bytes replace everyone else's (resized to match).
  virtual void broadcast(std::vector<char>& bytes, int root) = 0;
  virtual void barrier() = 0;
  // What carries the all-reduces, for the engine's name.
  virtual std::string transport() const { return "Gloo"; }
  // The rendezvous store (null for a world of one), e.g. for NCCL's id.
  virtual gloo::rendezvous::Store* store() { return nullptr; }

private:
  std::list<std::vector<float>> m_buffers; // allreduce_buffer's, for a transport without its own
};

struct RendezvousOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};            // --rendezvous-timeout
  std::chrono::milliseconds collective_timeout{std::chrono::seconds(600)}; // --collective-timeout
  std::string bind_host;  // --bind-host; empty: 127.0.0.1 for a loopback master, else hostname
  bool shared_memory = true; // --shm-allreduce: all-reduce through shared memory when every rank wants to and can
};

std::unique_ptr<Communicator> make_local_communicator();
// Throws Error (rendezvous timeout naming missing ranks, store unreachable,
// Gloo failures).
std::unique_ptr<Communicator> connect_world(const WorldInfo& world, const RendezvousOptions& options);

} // namespace kf::trainer
