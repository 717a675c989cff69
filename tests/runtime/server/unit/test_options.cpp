// kf-server's flag checks and defaults (runtime/server/options.cpp).
#include "tests/runtime/server/unit/support.h"
#include "runtime/server/options.h"

#include <doctest/doctest.h>

using namespace kf::server;

TEST_CASE("options: the model name defaults to model.json's name, else the directory's") {
  CHECK(default_model_name("/x/out", {{"name", "fashion"}}) == "fashion");
  CHECK(default_model_name("/x/out", nlohmann::json::object()) == "out");
  CHECK(default_model_name("/x/out/", nlohmann::json::object()) == "out");
  CHECK(default_model_name("rel/dir", nlohmann::json::object()) == "dir");
}

TEST_CASE("options: model names must be URL-safe") {
  CHECK_NOTHROW(check_model_name("fashion-mnist_v1.2"));
  const std::string why = "' must be 1-128 letters, digits, '.', '_' or '-' (it appears in URLs); set --model-name";
  CHECK(test::error_of([] { check_model_name("a/b"); }) == "model name 'a/b" + why);
  CHECK(test::error_of([] { check_model_name("a:predict"); }) == "model name 'a:predict" + why);
  CHECK(test::error_of([] { check_model_name(""); }) == "model name '" + why);
}

TEST_CASE("options: flags and KF_SERVER_* variables") {
  ServerOptions o;
  CLI::App app;
  add_server_flags(app, o);
  ::setenv("KF_SERVER_MAX_BATCH_SIZE", "16", 1);
  app.parse("--port=0 --model-dir=/m --threads 3 --max-latency-ms 2.5", false);
  ::unsetenv("KF_SERVER_MAX_BATCH_SIZE");
  CHECK(o.model_dir == "/m");
  CHECK(o.http.port == 0);
  CHECK(o.http.host == "127.0.0.1");
  CHECK(o.threads == 3);
  CHECK(o.max_batch_size == 16);
  const SchedulerOptions s = scheduler_options(o);
  CHECK(s.max_latency == std::chrono::microseconds(2500));
  CHECK(s.max_batch_size == 16);
  CHECK(o.http.max_body_bytes == 32u << 20);
  CHECK(o.protocol == "all");
  CHECK(protocols(o).v1);
  CHECK(protocols(o).v2);
  o.protocol = "v2";
  CHECK(!protocols(o).v1);
  CHECK(protocols(o).v2);
  ServerOptions none;
  CLI::App app2;
  add_server_flags(app2, none);
  CHECK_THROWS_AS(app2.parse("--port=1", false), CLI::RequiredError);
}
