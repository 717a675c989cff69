// kf serve — libkf/action/serve.cpp.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "cli/follow_view.h"
#include "libkf/action/follow.h"
#include "libkf/action/runs.h"
#include "libkf/http/http.h"
#include "libkf/util/error.h"

namespace kf::cli {

namespace {

// Attached: the requests served, redrawn on a terminal, until Ctrl-C stops the server.
int show_requests(action::ProjectTarget& pt, const std::string& run, const std::string& url,
                  const std::function<bool()>& interrupted) {
  http::Client client;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  long last = -2;
  while (!interrupted()) {
    const auto o = pt.target->get(run);
    if (!o || target::is_finished(*o)) throw Error("the model server stopped: " + (o ? o->value("status", Json::object()).dump() : ""));
    const long n = action::requests_served(client, url);
    if (tty && n != last && n >= 0) std::cerr << "\r\033[Krequests served: " << n << " (Ctrl-C stops the server)" << std::flush;
    last = n;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (tty) std::cerr << '\n';
  pt.target->stop(run);
  std::cerr << "stopped " << run << '\n';
  return 0;
}
} // namespace

void add_serve(CLI::App& app, Globals& g) {
  struct Flags : SubmitFlags {
    std::string model;
    int port = 0;
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
  on_run(*cmd, g, [flags](Session& s) {
    action::TargetOverrides overrides;
    overrides.serve_port = flags->port;
    auto pt = s.open(flags->values.load_options(), overrides);
    const auto r = action::serve(s.ctx, action::ServeOptions{flags->model}, pt);
    if (!pt.target->traits().attached)
      return after_submit(s.g, pt, action::TrainResult{r.run, pt.target_name, r.object, r.where}, *flags);
    std::cerr << "run " << r.run << " serving " << r.model_dir
              << (r.model_from.empty() ? "" : " (trained by " + r.model_from + ")") << '\n';
    const auto interrupted = catch_interrupts();
    const std::string url = wait_until_ready(pt, r.run, "the model server", interrupted);
    std::cout << url << '\n';
    std::cerr << "ready: " << url << "/v2/models/" << r.run << '\n'
              << "try:   kf predict " << r.run << "   or\n"
              << "       curl -s " << url << "/v2/models/" << r.run
              << "/infer -d '" << r.example_body << "'\n";
    if (flags->detach) {
      std::cerr << "stop it: kf delete " << r.run << '\n';
      return 0;
    }
    return show_requests(pt, r.run, url, interrupted);
  });
}

} // namespace kf::cli
