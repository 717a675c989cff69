// kf-server's flag table.
#include "runtime/server/options.h"

#include "runtime/error.h"

#include <filesystem>

namespace kf::server {

void add_server_flags(CLI::App& app, ServerOptions& o) {
  app.get_formatter()->column_width(34);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto opt = [&](const char* name, auto& field, const char* env, const char* help) {
    return app.add_option(name, field, help)->envname(env)->capture_default_str();
  };
  opt("--model-dir", o.model_dir, "KF_SERVER_MODEL_DIR",
      "Directory of a kf-trainer export (model.json + model.safetensors)")->required();
  opt("--model-name", o.model_name, "KF_SERVER_MODEL_NAME",
      "Name in the URLs (default: model.json's \"name\", else the directory's name)");
  opt("--host", o.http.host, "KF_SERVER_HOST", "Address to listen on (0.0.0.0: every interface, as in a container)");
  opt("--port", o.http.port, "KF_SERVER_PORT", "Port to listen on (0: any free port; see --port-file)")
      ->check(CLI::Range(0, 65535));
  opt("--port-file", o.port_file, "KF_SERVER_PORT_FILE", "Write the bound port here (atomically) once listening");
  opt("--protocol", o.protocol, "KF_SERVER_PROTOCOL",
      "Inference protocols served: v1, v2 or all (KServe's ServingRuntime passes its protocolVersion)")
      ->check(CLI::IsMember({"v1", "v2", "all"}));
  opt("--threads", o.threads, "KF_SERVER_THREADS",
      "Inference threads, one model replica each (0: one per core)");
  opt("--http-threads", o.http.threads, "KF_SERVER_HTTP_THREADS",
      "Request threads: the most requests with a body (inferences) handled at once (started as "
      "requests arrive, ended after 30 s idle). Connections hold none: one event loop reads them all")->check(CLI::Range(1, 65536));
  opt("--max-batch-size", o.max_batch_size, "KF_SERVER_MAX_BATCH_SIZE",
      "Dynamic batching: samples per forward pass across requests (1: off)")->check(CLI::Range(1, 1 << 20));
  opt("--max-latency-ms", o.max_latency_ms, "KF_SERVER_MAX_LATENCY_MS",
      "Dynamic batching: how long a batch waits for more requests (0: only those already queued)")
      ->check(CLI::Range(0.0, 60000.0));
  opt("--max-body-bytes", o.http.max_body_bytes, "KF_SERVER_MAX_BODY_BYTES",
      "Larger request bodies get 413")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  opt("--log-file", o.log_file, "KF_SERVER_LOG_FILE",
      "Append one JSON line per answered instance here (id, input, class, confidence), as KServe's logger");
  opt("--log-mode", o.log_mode, "KF_SERVER_LOG_MODE", "What --log-file records: all, request (inputs) or response (answers)")
      ->check(CLI::IsMember({"all", "request", "response"}));
  opt("--debug-delay-ms", o.debug_delay_ms, "KF_SERVER_DEBUG_DELAY_MS", "Sleep before each forward pass (tests)")
      ->check(CLI::Range(0, 600000))->group("");
  app.footer(
      "Endpoints (KServe Open Inference Protocol v2, and v1):\n"
      "  GET  /v2/health/live  /v2/health/ready  /v2  /v2/models/NAME  /v2/models/NAME/ready\n"
      "  POST /v2/models/NAME/infer    inputs: one tensor 'input', FP32 or UINT8 (pixel / 255),\n"
      "                                shape [N, C*H*W] or [N, C, H, W]; outputs: 'probabilities'\n"
      "                                FP32 [N, classes] and 'label' INT64 [N]\n"
      "  GET  /v1/models/NAME   POST /v1/models/NAME:predict  {\"instances\": [...]} -> {\"predictions\": [class, ...]}\n"
      "  GET  /metrics          Prometheus text\n"
      "Prints 'kf-server: serving NAME on http://HOST:PORT' on stderr when ready; SIGTERM or SIGINT\n"
      "finishes the requests in flight and exits 0. Exit codes: 1 bad model or cannot listen, 2 bad flags.\n"
      "Example:\n"
      "  kf-server --model-dir out --port 0 --port-file /tmp/port");
}

void validate(const ServerOptions& o) {
  if (o.model_dir.empty()) throw trainer::UsageError("--model-dir must not be empty");
  if (!o.model_name.empty()) check_model_name(o.model_name);
}

std::string default_model_name(const std::string& dir, const nlohmann::json& info) {
  if (info.contains("name") && info["name"].is_string() && !info["name"].get<std::string>().empty())
    return info["name"].get<std::string>();
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path(); // "out/" -> "out"
  if (p.empty() || p.filename() == "." || p.filename() == "..") {
    std::error_code ec;
    const auto abs = std::filesystem::weakly_canonical(dir, ec);
    if (!ec) p = abs;
  }
  return p.filename().string();
}

void check_model_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (!ok)
    throw trainer::UsageError("model name '" + name +
                              "' must be 1-128 letters, digits, '.', '_' or '-' (it appears in URLs); "
                              "set --model-name");
}

Protocols protocols(const ServerOptions& o) { return {o.protocol != "v2", o.protocol != "v1"}; }

SchedulerOptions scheduler_options(const ServerOptions& o) {
  SchedulerOptions s;
  s.max_batch_size = o.max_batch_size;
  s.max_latency = std::chrono::microseconds(static_cast<long long>(o.max_latency_ms * 1000.0));
  s.debug_delay = std::chrono::milliseconds(o.debug_delay_ms);
  return s;
}

} // namespace kf::server
