// The rendezvous store (runtime/tcp_store.cpp) over loopback: its requests,
// its pinned errors, and a server that outlives clients it cannot read.
#include "runtime/error.h"
#include "runtime/tcp_store.h"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

using namespace kf::trainer;
using namespace std::chrono_literals;

namespace {

std::vector<char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

// A raw client: connects to 127.0.0.1:port, sends `request`, and returns
// what the server answers before it closes (or `want` bytes, if it keeps the
// connection open).
std::string raw_exchange(int port, const std::string& request, std::size_t want) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string got;
  char buf[256];
  while (got.size() < want) {
    const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
    if (r <= 0) break;
    got.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  return got;
}

std::string u32(std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

} // namespace

TEST_CASE("tcp store: set, get, check and wait between two clients") {
  TcpStoreServer server(0);
  REQUIRE(server.port() > 0);
  TcpStore a("127.0.0.1", server.port(), 5s);
  TcpStore b("localhost", server.port(), 5s);
  a.set("rank0", bytes("10.0.0.1:1234"));
  CHECK(b.get("rank0") == bytes("10.0.0.1:1234"));
  a.set("rank0", bytes("")); // a key may be set again, to an empty value
  CHECK(b.get("rank0").empty());
  CHECK(b.check({"rank0", "rank1"}) == std::vector<bool>{true, false});

  std::thread later([&] {
    std::this_thread::sleep_for(50ms);
    b.set("rank1", bytes("x"));
  });
  a.wait({"rank0", "rank1"}, 10s); // returns once the other client sets it
  later.join();
  CHECK(a.get("rank1") == bytes("x"));
}

TEST_CASE("tcp store: a wait that times out names the missing keys") {
  TcpStoreServer server(0);
  TcpStore a("127.0.0.1", server.port(), 5s);
  a.set("rank0", bytes("here"));
  CHECK_THROWS_WITH_AS(a.wait({"rank0", "rank1", "rank2"}, 30ms),
                       "rendezvous store: timed out after 30ms waiting for rank1, rank2", Error);
}

TEST_CASE("tcp store: a client with no server names the address and rank 0") {
  int port = 0;
  {
    TcpStoreServer probe(0); // a port that was free a moment ago and is closed now
    port = probe.port();
  }
  CHECK_THROWS_WITH_AS(TcpStore("127.0.0.1", port, 0ms),
                       ("rendezvous timed out after 0s: could not reach rank 0's store at 127.0.0.1:" +
                        std::to_string(port) + " (Connection refused); missing rank: 0")
                           .c_str(),
                       Error);
}

TEST_CASE("tcp store: a connection it cannot read is closed, and the store serves on") {
  TcpStoreServer server(0);
  TcpStore a("127.0.0.1", server.port(), 5s);
  a.set("k", bytes("v"));
  // An unknown op, then a string longer than 64 MiB: each closes its own
  // connection without an answer.
  CHECK(raw_exchange(server.port(), std::string(1, '\x09'), 1).empty());
  CHECK(raw_exchange(server.port(), std::string(1, '\x01') + u32((64u << 20) + 1), 1).empty());
  // A well-formed GET from a raw client gets the wire format's answer.
  CHECK(raw_exchange(server.port(), std::string(1, '\x02') + u32(1) + "k", 6) == std::string(1, '\x01') + u32(1) + "v");
  CHECK(a.get("k") == bytes("v"));
}

TEST_CASE("tcp store: closed connections do not keep their threads") {
  TcpStoreServer server(0);
  for (int i = 0; i < 50; ++i) CHECK(raw_exchange(server.port(), std::string(1, '\x09'), 1).empty());
  // Each accept joins the threads of connections closed before it. Their
  // closing is asynchronous, so keep connecting until it shows, for at most
  // 10 s (a bound for a loaded machine, not a timing assertion).
  TcpStore a("127.0.0.1", server.port(), 5s);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.threads_held() > 2 && std::chrono::steady_clock::now() < deadline) {
    raw_exchange(server.port(), std::string(1, '\x09'), 1);
    std::this_thread::sleep_for(10ms);
  }
  CHECK(server.threads_held() <= 2); // `a`, and at most the last probe
  a.set("still", bytes("served"));
  CHECK(a.get("still") == bytes("served"));
}
