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

// Answers label 0, after `delay`; while held, predict() waits for release().
class HeldPredictor : public Predictor {
public:
  Prediction predict(const std::vector<float>& /*x*/, std::size_t n) override {
    std::unique_lock lock(m_mutex);
    ++m_entered;
    m_changed.notify_all();
    m_changed.wait(lock, [this] { return m_released; });
    lock.unlock();
    std::this_thread::sleep_for(delay);
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
  void hold() {
    std::lock_guard lock(m_mutex);
    m_released = false;
  }
  void release() {
    std::lock_guard lock(m_mutex);
    m_released = true;
    m_changed.notify_all();
  }
  std::chrono::milliseconds delay{0};

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_entered = 0;
  bool m_released = true;
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
  // Whether a whole response (headers and Content-Length bytes of body) with
  // `status` arrived within `ms`.
  bool answered_within(int ms, int status = 200) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    std::string got;
    std::size_t need = std::string::npos; // bytes of the whole response, once the headers are in
    while (got.size() < need) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{m_fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
      char buf[4096];
      const ssize_t n = ::read(m_fd, buf, sizeof buf);
      if (n <= 0) return false;
      got.append(buf, static_cast<std::size_t>(n));
      const std::size_t end = got.find("\r\n\r\n");
      if (need == std::string::npos && end != std::string::npos) {
        const std::size_t at = got.find("Content-Length: ");
        need = end + 4 + (at < end ? std::stoul(got.substr(at + 16)) : 0);
      }
    }
    return got.starts_with("HTTP/1.1 " + std::to_string(status));
  }

private:
  int m_fd;
};

std::string infer_body(std::size_t padding) {
  return R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],"data":[1,2]}]})" + std::string(padding, ' ');
}

// An HttpServer serving on a free port until the end of the scope.
struct Served {
  // Inferences count as quick under `inline_max_time`: the tests that need them quick set it far above
  // what one takes on the busiest machine, the one that needs them slow far below its predictor's delay.
  explicit Served(std::size_t inline_body_bytes, std::chrono::milliseconds inline_max_time = std::chrono::seconds(5))
      : api("m", signature(), predictor, metrics) {
    HttpOptions o;
    o.port = 0;
    o.threads = 4;
    o.inline_body_bytes = inline_body_bytes;
    o.inline_max_time = inline_max_time;
    http = std::make_unique<HttpServer>(api, metrics, o);
    port = http->bind();
    loop = std::thread([this] { http->serve(); });
    predictor.hold();
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

// One inference on `client`'s connection, answered: the server then knows how long inferences take.
void timed_inference(Served& s, Client& client) {
  s.predictor.release();
  client.send("POST", "/v2/models/m/infer", infer_body(0));
  REQUIRE(client.answered_within(k_patience_ms));
  s.predictor.hold();
}

// Where an inference ran, as a health check on a new connection sees it
// while the inference is held: `free` - on a worker, the loop answers;
// `held` - on the loop, which cannot answer until the inference is done.
enum class Loop { free, held };

// Sends an inference (`padding` spaces longer than the smallest) that the
// predictor holds (`entered`: the predictor's count once it is in), checks
// the loop as `expected`, then releases the inference: both are answered.
void check_loop_during(Served& s, Client& client, std::size_t padding, int entered, Loop expected) {
  client.send("POST", "/v2/models/m/infer", infer_body(padding));
  s.predictor.wait_entered(entered);
  Client health(s.port); // connects now: the kernel accepts it even while the loop is busy
  health.send("GET", "/v2/health/live");
  if (expected == Loop::free) CHECK(health.answered_within(k_patience_ms));
  else CHECK_FALSE(health.answered_within(k_absent_ms)); // long enough to tell, not a deadline
  s.predictor.release();
  CHECK(client.answered_within(k_patience_ms));
  if (expected == Loop::held) CHECK(health.answered_within(k_patience_ms));
}

TEST_CASE("http server: a small, quick request from the only client runs on the event loop and holds it until answered") {
  Served s(16 * 1024);
  Client infer(s.port);
  timed_inference(s, infer);
  check_loop_during(s, infer, 0, 2, Loop::held);
}

TEST_CASE("http server: the only client's first request goes to a worker (no inference timed yet)") {
  Served s(16 * 1024);
  Client infer(s.port);
  check_loop_during(s, infer, 0, 1, Loop::free);
}

TEST_CASE("http server: after slow inferences the only client's request goes to a worker") {
  Served s(16 * 1024, std::chrono::milliseconds(1));
  Client infer(s.port);
  s.predictor.delay = std::chrono::milliseconds(20); // slow: well over 1 ms
  timed_inference(s, infer);
  s.predictor.delay = std::chrono::milliseconds(0);
  check_loop_during(s, infer, 0, 2, Loop::free);
}

TEST_CASE("http server: refused requests do not make a slow model's inferences count as quick") {
  Served s(16 * 1024, std::chrono::milliseconds(1));
  Client infer(s.port);
  s.predictor.delay = std::chrono::milliseconds(20); // slow: well over 1 ms
  timed_inference(s, infer);
  s.predictor.delay = std::chrono::milliseconds(0);
  for (int i = 0; i < 20; ++i) { // each answered in microseconds, with no inference
    infer.send("POST", "/v2/models/m/infer", "{not json");
    REQUIRE(infer.answered_within(k_patience_ms, 400));
  }
  check_loop_during(s, infer, 0, 2, Loop::free);
}

TEST_CASE("http server: a request over the inline size goes to a worker") {
  Served s(1024);
  Client infer(s.port);
  timed_inference(s, infer); // quick, alone: only the size decides
  check_loop_during(s, infer, 2000, 2, Loop::free);
}

TEST_CASE("http server: a small request while another client is connected (idle) goes to a worker") {
  Served s(16 * 1024);
  Client idle(s.port), infer(s.port);
  timed_inference(s, infer);
  idle.send("GET", "/v2/health/live"); // answered: the loop has accepted this connection
  REQUIRE(idle.answered_within(k_patience_ms));
  check_loop_during(s, infer, 0, 2, Loop::free);
}

TEST_CASE("http server: with inline_body_bytes 0 (dynamic batching) every inference goes to a worker") {
  Served s(0);
  Client infer(s.port);
  timed_inference(s, infer);
  check_loop_during(s, infer, 0, 2, Loop::free);
}
