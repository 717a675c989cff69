#pragma once
// A key-value store over TCP for rendezvous, in the role of PyTorch's
// TCPStore: rank 0 runs a TcpStoreServer at MASTER_ADDR:MASTER_PORT and
// every rank (rank 0 too) talks to it through a TcpStore, which implements
// gloo::rendezvous::Store (set / get / wait) so Gloo's connectFullMesh can
// exchange addresses through it.
// Wire format: a request is one op byte then u32-length-prefixed strings;
// ops: 1 SET key value -> 0; 2 GET key -> found byte [value];
// 3 CHECK count keys... -> one byte per key. Keys never expire.
// TcpStore is thread-safe (one request at a time); the server runs one
// thread per connection, joins the threads of closed connections as it
// accepts new ones (the server lives as long as the job, and anything may
// connect to MASTER_PORT), and stops in its destructor. A request it cannot
// read (an unknown op, a string over 64 MiB) closes that connection only.

#include <gloo/rendezvous/store.h>

#include <atomic>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kf::trainer {

class TcpStoreServer {
public:
  // Binds 0.0.0.0:port (port 0 = any; see port()). Throws Error when busy.
  explicit TcpStoreServer(int port);
  ~TcpStoreServer();
  TcpStoreServer(const TcpStoreServer&) = delete;
  TcpStoreServer& operator=(const TcpStoreServer&) = delete;
  int port() const { return m_port; }
  // Connection threads not joined yet: those of the open connections, and
  // of connections that closed since the last accept (it joins them).
  std::size_t threads_held();

private:
  struct Connection {
    int fd = -1;
    bool closed = false; // set by its thread, under m_mutex, as it ends
    std::thread thread;
  };
  void accept_loop();
  void join_closed();
  void serve(Connection& c);

  int m_listen_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::mutex m_mutex;
  std::map<std::string, std::vector<char>> m_data;
  std::list<Connection> m_connections; // a list: serve() holds a reference to its element
  std::thread m_acceptor;
};

class TcpStore : public gloo::rendezvous::Store {
public:
  // Connects, retrying until `timeout`; then throws Error naming the address.
  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout);
  ~TcpStore() override;
  TcpStore(const TcpStore&) = delete;
  TcpStore& operator=(const TcpStore&) = delete;

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

  // Which of `keys` are present.
  std::vector<bool> check(const std::vector<std::string>& keys);
  std::string address() const { return m_host + ":" + std::to_string(m_port); }

private:
  void send_all(const std::string& bytes);
  void recv_all(char* out, std::size_t n);

  std::string m_host;
  int m_port;
  std::chrono::milliseconds m_timeout;
  int m_fd = -1;
  std::mutex m_mutex;
};

} // namespace kf::trainer
