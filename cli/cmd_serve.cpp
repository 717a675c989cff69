// kf serve and kf predict — libkf/action/serve.cpp, predict.cpp.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/app.h"
#include "cli/cluster_wait.h"
#include "cli/output.h"
#include "cli/run_view.h"
#include "libkf/action/runs.h"
#include "libkf/kube/http.h"
#include "libkf/local/local_target.h"
#include "libkf/util/error.h"

namespace kf::cli {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

// kf_server_requests_total summed over its labels, from the server's /metrics; -1 when unreachable.
long requests_served(kube::Transport& http) {
  try {
    kube::HttpRequest req;
    req.target = "/metrics";
    req.accept = "text/plain";
    req.timeout = std::chrono::seconds(2);
    const auto resp = http.perform(req);
    if (resp.status != 200) return -1;
    long total = 0;
    std::size_t at = 0;
    while ((at = resp.body.find("\nkf_server_requests_total", at)) != std::string::npos) {
      const auto end = resp.body.find('\n', at + 1);
      const auto space = resp.body.rfind(' ', end);
      total += std::atol(resp.body.substr(space + 1, end - space - 1).c_str());
      at = end;
    }
    return total;
  } catch (const Error&) {
    return -1;
  }
}
} // namespace

void add_serve(CLI::App& app, Globals& g) {
  struct Flags : SubmitFlags {
    std::string model;
    int port = 0;
    bool detach = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("serve", "Serve a trained model over KServe's v2 and v1 protocols: the project's "
                                          "InferenceService, run by kf-server");
  add_submit_flags(*cmd, *flags, "");
  hint(cmd->add_option("model", flags->model, "A training run (its model), a model directory, or @latest (default: the "
                                              "newest successful run's model)"),
       Hint{{}, "run"});
  cmd->add_option("--port", flags->port, "Port on 127.0.0.1 (default: a free one)")->type_name("PORT");
  cmd->add_flag("-d,--detach", flags->detach, "Return once the server is ready; stop it with kf delete");
  cmd->footer("On a cluster target kf applies the ServingRuntime and the InferenceService (MODEL may be a storage URI "
              "that replaces serving.storageUri) and returns; --wait waits until it is Ready and prints status.url. "
              "On the local target the ServingRuntime's container (kf-server) runs here with the model directory "
              "in place of /mnt/models; the run is Ready (status.url) once it listens. Attached, it shows the "
              "requests served until Ctrl-C, which stops it.\n\n"
              "Examples:\n"
              "  kf serve\n"
              "  kf serve mnist-train-3 --port 8080 --detach && kf predict\n"
              "  kf serve ./exported-model\n"
              "  kf serve pvc://models/mnist --target prod --wait");
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      const action::Context ctx{reporter};
      auto pt = action::open_target(ctx, flags->values.load_options(), g.target);
      const auto r = action::serve(ctx, action::ServeOptions{flags->model, flags->port}, pt);
      if (is_cluster(pt)) return finish_submit(g, pt, action::TrainResult{r.run, pt.target_name, r.object, {}}, *flags);
      std::cerr << "run " << r.run << " serving " << r.model_dir
                << (r.model_from.empty() ? "" : " (trained by " + r.model_from + ")") << '\n';
      struct sigaction sa{};
      sa.sa_handler = on_stop_signal;
      sigemptyset(&sa.sa_mask);
      ::sigaction(SIGINT, &sa, nullptr);
      ::sigaction(SIGTERM, &sa, nullptr);
      Json object;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (true) { // until Ready
        object = *pt.target->get(r.run);
        const std::string state = target::state_of(object);
        if (state == "Ready") break;
        if (target::is_finished(object) || g_stop || std::chrono::steady_clock::now() > deadline) {
          if (!target::is_finished(object)) pt.target->stop(r.run);
          const auto runs = action::status(ctx, action::StatusOptions{r.run}, pt);
          std::string why = runs.front().value("message", "");
          for (const auto& l : runs.front().value("logTail", Json::array())) why += "\n  " + l.get<std::string>();
          throw Error("the model server did not become ready: " + why);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      const std::string url = object["status"].value("url", "");
      std::cout << url << '\n';
      std::cerr << "ready: " << url << "/v2/models/" << r.run << '\n'
                << "try:   kf predict " << r.run << "   or\n"
                << "       curl -s " << url << "/v2/models/" << r.run
                << "/infer -d '{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,784],\"data\":[0,...]}]}'\n";
      if (flags->detach) {
        std::cerr << "stop it: kf delete " << r.run << '\n';
        return 0;
      }
      kube::ClusterConfig server;
      server.server = url;
      kube::Transport http(server);
      const bool tty = ::isatty(STDERR_FILENO) != 0;
      long last = -2;
      while (!g_stop) {
        const auto o = pt.target->get(r.run);
        if (!o || target::is_finished(*o)) throw Error("the model server stopped: " + (o ? o->value("status", Json::object()).dump() : ""));
        const long n = requests_served(http);
        if (tty && n != last && n >= 0) std::cerr << "\r\033[Krequests served: " << n << " (Ctrl-C stops the server)" << std::flush;
        last = n;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
      if (tty) std::cerr << '\n';
      pt.target->stop(r.run);
      std::cerr << "stopped " << r.run << '\n';
      return 0;
    };
  });
}

void add_predict(CLI::App& app, Globals& g) {
  struct Flags {
    std::string run;
    int index = 0;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("predict", "Send a sample of the test set to the served model and print its answer");
  hint(cmd->add_option("run", flags->run, "The serving run (default: the newest one that is Ready)"), Hint{{}, "run"});
  cmd->add_option("--index", flags->index, "Which test sample (default 0)")->type_name("N")->check(CLI::NonNegativeNumber);
  cmd->footer("Reads sample N of the IDX test set (t10k-*) beside the data the model was trained on and POSTs it, as "
              "UINT8, to /v2/models/RUN/infer. -o json prints the server's answer.\n\n"
              "Examples:\n"
              "  kf predict\n"
              "  kf predict mnist-1 --index 42 -o json");
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      const action::Context ctx{reporter};
      auto pt = action::open_target(ctx, spec::LoadOptions{}, g.target);
      const auto r = action::predict(ctx, action::PredictOptions{flags->run, flags->index}, pt);
      if (g.output == "json" || g.output == "yaml") {
        print_data(r.response, g.output);
        return 0;
      }
      std::cout << "sample " << r.index << " of " << r.test_set << ": label " << r.label << ", predicted " << r.predicted;
      if (r.predicted >= 0 && static_cast<std::size_t>(r.predicted) < r.probabilities.size())
        std::cout << " (p=" << std::to_string(r.probabilities[static_cast<std::size_t>(r.predicted)]).substr(0, 5) << ")";
      std::cout << (r.label == r.predicted ? " - correct" : " - wrong") << '\n';
      return 0;
    };
  });
}

} // namespace kf::cli
