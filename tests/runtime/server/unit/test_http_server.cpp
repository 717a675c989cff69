// HttpServer (runtime/server/http_server.cpp) over loopback sockets, with a
// fake Predictor that holds its inference until released: which requests
// run on the event loop (and so hold it) and which go to a worker.
#include "runtime/server/api.h"
#include "runtime/server/http_server.h"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

using namespace kf::server;

namespace {

// Answers label 0; each predict() waits until release().
class HeldPredictor : public Predictor {
public:
  Prediction predict(const std::vector<float>& /*x*/, std::size_t n) override {
    std::unique_lock lock(m_mutex);
    ++m_entered;
    m_changed.notify_all();
    m_changed.wait(lock, [this] { return m_released; });
    Prediction p;
    p.n = n;
    p.labels.assign(n, 0);
    p.probabilities.assign(n * 2, 0.5f);
    return p;
  }
  void wait_entered(int count) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_entered >= count; });
  }
  void release() {
    std::lock_guard lock(m_mutex);
    m_released = true;
    m_changed.notify_all();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_entered = 0;
  bool m_released = false;
};

ModelSignature signature() {
  ModelSignature s;
  s.sample_shape = {1, 1, 2};
  s.classes = 2;
  return s;
}

// A connection that sends one request and reads its response.
class Client {
public:
  explicit Client(int port) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~Client() { ::close(m_fd); }
  void send(const std::string& method, const std::string& path, const std::string& body = {}) {
    const std::string request = method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    REQUIRE(::write(m_fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  }
  // Whether a status line arrived within `ms`.
  bool answered_within(int ms) {
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, ms) != 1) return false;
    char buf[4096];
    const ssize_t n = ::read(m_fd, buf, sizeof buf);
    return n > 12 && std::string(buf, 12) == "HTTP/1.1 200";
  }

private:
  int m_fd;
};

std::string infer_body(std::size_t padding) {
  return R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],"data":[1,2]}]})" + std::string(padding, ' ');
}

// An HttpServer serving on a free port until the end of the scope.
struct Served {
  explicit Served(std::size_t inline_body_bytes) : api("m", signature(), predictor, metrics) {
    HttpOptions o;
    o.port = 0;
    o.threads = 4;
    o.inline_body_bytes = inline_body_bytes;
    http = std::make_unique<HttpServer>(api, metrics, o);
    port = http->bind();
    loop = std::thread([this] { http->serve(); });
  }
  ~Served() {
    predictor.release();
    http->stop();
    loop.join();
  }
  HeldPredictor predictor;
  ServerMetrics metrics;
  Api api;
  std::unique_ptr<HttpServer> http;
  int port = 0;
  std::thread loop;
};

constexpr int k_patience_ms = 10000; // for what must come (never waited out when all is well)
constexpr int k_absent_ms = 300;     // for what cannot come while the loop is held

} // namespace

TEST_CASE("http server: a small request from the only client runs on the event loop and holds it until answered") {
  Served s(16 * 1024);
  Client infer(s.port);
  infer.send("POST", "/v2/models/m/infer", infer_body(0));
  s.predictor.wait_entered(1);
  Client health(s.port); // connects now: the kernel accepts it, the loop does not
  health.send("GET", "/v2/health/live");
  CHECK_FALSE(health.answered_within(k_absent_ms)); // the loop is inside the inference
  s.predictor.release();
  CHECK(infer.answered_within(k_patience_ms));
  CHECK(health.answered_within(k_patience_ms));
}

TEST_CASE("http server: a request over the inline size, or one while another is in flight, goes to a worker") {
  Served s(1024);
  Client big(s.port), small(s.port), health(s.port);
  big.send("POST", "/v2/models/m/infer", infer_body(2000)); // over 1 KiB: a worker
  s.predictor.wait_entered(1);
  health.send("GET", "/v2/health/live");
  CHECK(health.answered_within(k_patience_ms)); // the loop is free
  small.send("POST", "/v2/models/m/infer", infer_body(0)); // small, but not alone: a worker too
  s.predictor.wait_entered(2);
  Client health2(s.port);
  health2.send("GET", "/v2/health/live");
  CHECK(health2.answered_within(k_patience_ms));
  s.predictor.release();
  CHECK(big.answered_within(k_patience_ms));
  CHECK(small.answered_within(k_patience_ms));
}

TEST_CASE("http server: a small request while another client is connected (idle) goes to a worker") {
  Served s(16 * 1024);
  Client idle(s.port), infer(s.port), health(s.port);
  idle.send("GET", "/v2/health/live"); // answered: the loop has accepted this connection
  REQUIRE(idle.answered_within(k_patience_ms));
  infer.send("POST", "/v2/models/m/infer", infer_body(0));
  s.predictor.wait_entered(1);
  health.send("GET", "/v2/health/live");
  CHECK(health.answered_within(k_patience_ms));
  s.predictor.release();
  CHECK(infer.answered_within(k_patience_ms));
}

TEST_CASE("http server: with inline_body_bytes 0 (dynamic batching) every inference goes to a worker") {
  Served s(0);
  Client infer(s.port);
  infer.send("POST", "/v2/models/m/infer", infer_body(0));
  s.predictor.wait_entered(1);
  Client health(s.port);
  health.send("GET", "/v2/health/live");
  CHECK(health.answered_within(k_patience_ms));
  s.predictor.release();
  CHECK(infer.answered_within(k_patience_ms));
}
