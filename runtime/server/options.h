#pragma once
// kf-server's flags (CLI11; each also reads a KF_SERVER_* variable, a flag
// wins) and the checks on them. main.cpp binds these, then loads the model.

#include "runtime/server/api.h"
#include "runtime/server/http_server.h"
#include "runtime/server/scheduler.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace kf::server {

struct ServerOptions {
  std::string model_dir;        // --model-dir: a kf-trainer export (required)
  std::string model_name;       // --model-name: default model.json's "name", else the directory's name
  HttpOptions http;             // --host 127.0.0.1, --port 8080, --http-threads 1024, --max-body-bytes 32 MiB
  std::size_t threads = 0;      // --threads: executors = model replicas (0: hardware_concurrency)
  std::size_t max_batch_size = 1; // --max-batch-size: 1 = no dynamic batching
  double max_latency_ms = 0.0;  // --max-latency-ms: batching window
  std::string port_file;        // --port-file: gets the bound port once listening
  std::string protocol = "all"; // --protocol: v1, v2 or all (the inference endpoints that answer)
  std::string log_file;         // --log-file: append one JSON line per answer (prediction_log.h)
  std::string log_mode = "all"; // --log-mode: all, request or response
  int debug_delay_ms = 0;       // --debug-delay-ms (hidden): sleep before each forward pass
};

void add_server_flags(CLI::App& app, ServerOptions& o);
// Throws trainer::UsageError for values the flag table cannot check.
void validate(const ServerOptions& o);
// --model-name when not given: model.json's "name", else the directory's name.
std::string default_model_name(const std::string& dir, const nlohmann::json& info);
// Names appear in URLs: letters, digits, '.', '_' and '-' only. Throws UsageError.
void check_model_name(const std::string& name);
SchedulerOptions scheduler_options(const ServerOptions& o);
Protocols protocols(const ServerOptions& o);

} // namespace kf::server
