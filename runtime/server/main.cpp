// kf-server: serves one kf-trainer export over HTTP (KServe v2 and v1
// protocols). Parses flags, loads the model, listens, prints the readiness
// line, and on SIGTERM/SIGINT stops accepting, finishes the requests in
// flight and exits 0. Exit codes: 1 bad model or cannot listen, 2 bad flags.
#include "runtime/error.h"
#include "runtime/program.h"
#include "runtime/safetensors.h"
#include "runtime/server/api.h"
#include "runtime/server/http_server.h"
#include "runtime/server/options.h"
#include "runtime/server/scheduler.h"
#include "runtime/server/served_model.h"

#include <cblas.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace {

using namespace kf;

// One sample's request (a text query, one image as JSON) fits; a batch of
// many does not, and goes to a worker so that the loop stays free.
constexpr std::size_t k_inline_body_bytes = 16 * 1024;

// SIGTERM/SIGINT may land on any thread (OpenBLAS starts its own before
// main), so the handler only writes the signal number to a pipe that a
// thread of ours reads; 0 tells that thread to finish.
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int sig) {
  const int saved = errno;
  const char c = static_cast<char>(sig);
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &c, 1);
  errno = saved;
}

void install_signal_handlers() {
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) throw trainer::Error("pipe: " + std::string(std::strerror(errno)));
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

int wait_for_signal() {
  char c = 0;
  while (::read(g_signal_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  return c;
}

int run(const server::ServerOptions& o) {
  install_signal_handlers();
  // Requests run in parallel on the replicas; each GEMM uses one core.
  openblas_set_num_threads(1);

  if (!std::filesystem::is_directory(o.model_dir))
    throw trainer::Error("--model-dir " + o.model_dir + " is not a directory");
  const std::size_t threads =
      o.threads > 0 ? o.threads : std::max<std::size_t>(1, std::thread::hardware_concurrency());
  std::unique_ptr<server::ServedModel> model;
  try {
    model = std::make_unique<server::ServedModel>(o.model_dir, threads);
  } catch (const std::exception& e) {
    throw trainer::Error("cannot load the model in " + o.model_dir + ": " + e.what());
  }
  const std::string name = o.model_name.empty() ? server::default_model_name(o.model_dir, model->info()) : o.model_name;
  server::check_model_name(name);

  server::ServerMetrics metrics;
  server::Scheduler scheduler(*model, server::scheduler_options(o), metrics);
  std::unique_ptr<server::PredictionLog> log;
  if (!o.log_file.empty())
    log = std::make_unique<server::PredictionLog>(o.log_file, server::PredictionLog::parse_mode(o.log_mode));
  server::Api api(name, model->signature(), scheduler, metrics, server::protocols(o), model->text(), log.get());
  server::HttpOptions http_options = o.http;
  // Without batching a query runs at once: a small one from the only client goes inline.
  if (o.max_batch_size <= 1) http_options.inline_body_bytes = k_inline_body_bytes;
  server::HttpServer http(api, metrics, http_options);
  const int port = http.bind();
  if (!o.port_file.empty()) trainer::write_file_atomic(o.port_file, std::to_string(port) + "\n");

  std::atomic<bool> served{false};
  std::thread signal_thread([&] {
    const int sig = wait_for_signal();
    if (sig == SIGINT || sig == SIGTERM) {
      std::fprintf(stderr, "kf-server: %s: finishing %d request(s) in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
                   metrics.in_flight());
    }
    api.set_draining();
    // stop() is a no-op until serve() has started listening: repeat until it returns.
    while (!served.load()) {
      http.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::fprintf(stderr, "kf-server: serving %s on http://%s:%d\n", name.c_str(), o.http.host.c_str(), port);
  std::fflush(stderr);
  http.serve(); // returns after stop(), once in-flight requests have their responses
  served = true;
  on_signal(0); // ends the signal thread if no signal came (no-op otherwise)
  signal_thread.join();
  scheduler.stop();
  std::fprintf(stderr, "kf-server: stopped\n");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN); // a client that hangs up must not kill the server
  kf::server::ServerOptions options;
  CLI::App app{"kf-server: serves a kf-trainer model (model.json + model.safetensors) over HTTP with the\n"
               "KServe Open Inference Protocol (v2) and the v1 predict protocol.",
               "kf-server"};
  kf::server::add_server_flags(app, options);
  return kf::trainer::run_program(app, argc, argv, [&] {
    kf::server::validate(options);
    return run(options);
  });
}
