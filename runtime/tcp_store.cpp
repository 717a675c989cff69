// TcpStoreServer and TcpStore (see tcp_store.h for the wire format).
#include "runtime/tcp_store.h"

#include "runtime/error.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kf::trainer {
namespace {

constexpr char k_set = 1, k_get = 2, k_check = 3;

bool read_exact(int fd, char* out, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::recv(fd, out, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    out += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool write_exact(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::send(fd, data, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool read_string(int fd, std::string& out) {
  std::uint32_t len = 0;
  if (!read_exact(fd, reinterpret_cast<char*>(&len), 4) || len > (64u << 20)) return false;
  out.resize(len);
  return read_exact(fd, out.data(), len);
}

void put_string(std::string& buf, std::string_view s) {
  const auto len = static_cast<std::uint32_t>(s.size());
  buf.append(reinterpret_cast<const char*>(&len), 4);
  buf.append(s);
}

} // namespace

TcpStoreServer::TcpStoreServer(int port) {
  m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_listen_fd < 0) throw Error(std::string("rendezvous store: socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(m_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_listen_fd, 128) != 0) {
    const std::string why = std::strerror(errno);
    ::close(m_listen_fd);
    throw Error("rendezvous store: cannot listen on port " + std::to_string(port) + ": " + why +
                " (is another job using MASTER_PORT?)");
  }
  socklen_t len = sizeof addr;
  ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  m_port = ntohs(addr.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

TcpStoreServer::~TcpStoreServer() {
  m_stopping = true;
  ::shutdown(m_listen_fd, SHUT_RDWR);
  m_acceptor.join();
  ::close(m_listen_fd);
  {
    std::lock_guard lock(m_mutex);
    for (auto& c : m_connections)
      if (!c.closed) ::shutdown(c.fd, SHUT_RDWR);
  }
  for (auto& c : m_connections) c.thread.join(); // the acceptor is gone: nothing adds to the list now
}

std::size_t TcpStoreServer::threads_held() {
  std::lock_guard lock(m_mutex);
  return m_connections.size();
}

void TcpStoreServer::join_closed() {
  // Under m_mutex. A closed connection's thread has nothing left to do but
  // return, and it needs no lock to: joining here cannot wait on us.
  for (auto it = m_connections.begin(); it != m_connections.end();) {
    if (!it->closed) {
      ++it;
      continue;
    }
    it->thread.join();
    it = m_connections.erase(it);
  }
}

void TcpStoreServer::accept_loop() {
  while (!m_stopping) {
    const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
      ::close(fd);
      return;
    }
    join_closed();
    Connection& c = m_connections.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c] { serve(c); });
  }
}

void TcpStoreServer::serve(Connection& c) {
  const int fd = c.fd;
  for (;;) {
    char op = 0;
    if (!read_exact(fd, &op, 1)) break;
    std::string reply;
    if (op == k_set) {
      std::string key, value;
      if (!read_string(fd, key) || !read_string(fd, value)) break;
      std::lock_guard lock(m_mutex);
      m_data[key] = std::vector<char>(value.begin(), value.end());
      reply.push_back(0);
    } else if (op == k_get) {
      std::string key;
      if (!read_string(fd, key)) break;
      std::lock_guard lock(m_mutex);
      auto it = m_data.find(key);
      reply.push_back(it == m_data.end() ? 0 : 1);
      if (it != m_data.end()) put_string(reply, std::string_view(it->second.data(), it->second.size()));
    } else if (op == k_check) {
      std::uint32_t count = 0;
      if (!read_exact(fd, reinterpret_cast<char*>(&count), 4) || count > 1u << 20) break;
      std::vector<std::string> keys(count);
      bool ok = true;
      for (auto& k : keys) ok = ok && read_string(fd, k);
      if (!ok) break;
      std::lock_guard lock(m_mutex);
      for (const auto& k : keys) reply.push_back(m_data.count(k) != 0 ? 1 : 0);
    } else {
      break;
    }
    if (!write_exact(fd, reply.data(), reply.size())) break;
  }
  std::lock_guard lock(m_mutex);
  ::close(fd);
  c.closed = true;
}

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout)
    : m_host(host), m_port(port), m_timeout(timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error = "no attempt";
  for (;;) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (gai != 0) {
      last_error = ::gai_strerror(gai);
    } else {
      for (addrinfo* a = res; a != nullptr && m_fd < 0; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
          m_fd = fd;
        } else {
          last_error = std::strerror(errno);
          ::close(fd);
        }
      }
      ::freeaddrinfo(res);
    }
    if (m_fd >= 0) break;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error("rendezvous timed out after " + std::to_string(timeout.count() / 1000) +
                  "s: could not reach rank 0's store at " + address() + " (" + last_error +
                  "); missing rank: 0");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int one = 1;
  ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TcpStore::~TcpStore() {
  if (m_fd >= 0) ::close(m_fd);
}

void TcpStore::send_all(const std::string& bytes) {
  if (!write_exact(m_fd, bytes.data(), bytes.size()))
    throw Error("rendezvous store at " + address() + " closed the connection (did rank 0 exit?)");
}

void TcpStore::recv_all(char* out, std::size_t n) {
  if (!read_exact(m_fd, out, n))
    throw Error("rendezvous store at " + address() + " closed the connection (did rank 0 exit?)");
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  std::string req(1, k_set);
  put_string(req, key);
  put_string(req, std::string_view(data.data(), data.size()));
  std::lock_guard lock(m_mutex);
  send_all(req);
  char ack = 0;
  recv_all(&ack, 1);
}

std::vector<char> TcpStore::get(const std::string& key) {
  wait({key}, m_timeout);
  std::string req(1, k_get);
  put_string(req, key);
  std::lock_guard lock(m_mutex);
  send_all(req);
  char found = 0;
  recv_all(&found, 1);
  if (found == 0) throw Error("rendezvous store: key '" + key + "' vanished");
  std::uint32_t len = 0;
  recv_all(reinterpret_cast<char*>(&len), 4);
  std::vector<char> value(len);
  recv_all(value.data(), len);
  return value;
}

std::vector<bool> TcpStore::check(const std::vector<std::string>& keys) {
  std::string req(1, k_check);
  const auto count = static_cast<std::uint32_t>(keys.size());
  req.append(reinterpret_cast<const char*>(&count), 4);
  for (const auto& k : keys) put_string(req, k);
  std::lock_guard lock(m_mutex);
  send_all(req);
  std::string reply(keys.size(), '\0');
  recv_all(reply.data(), reply.size());
  std::vector<bool> out;
  for (char c : reply) out.push_back(c != 0);
  return out;
}

void TcpStore::wait(const std::vector<std::string>& keys) { wait(keys, m_timeout); }

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto delay = std::chrono::milliseconds(1);; delay = std::min(delay * 2, std::chrono::milliseconds(50))) {
    const auto present = check(keys);
    std::string missing;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (!present[i]) missing += (missing.empty() ? "" : ", ") + keys[i];
    if (missing.empty()) return;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error("rendezvous store: timed out after " + std::to_string(timeout.count()) + "ms waiting for " + missing);
    std::this_thread::sleep_for(delay);
  }
}

} // namespace kf::trainer
