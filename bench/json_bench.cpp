// kf-bench-json: kf::json::parse against nlohmann's Json::parse (the parser it
// replaces) on the CRDs built into kf, and on a `kubectl get -o json`-shaped
// list of 1000 PyTorchJobs, side by side in one Google Benchmark run.
// Usage: cmake --build <dir> --target kf-bench-json && <dir>/libkf/kf-bench-json
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/embedded.h"
#include "libkf/util/json.h"

namespace {

// The pack's CRD and swagger documents (an index line, then their JSON texts).
std::vector<std::string_view> crd_texts() {
  const std::string_view pack = kf::embedded::crd_pack();
  const auto newline = pack.find('\n');
  const kf::Json index = kf::Json::parse(pack.substr(0, newline));
  std::vector<std::string_view> out;
  for (const auto& e : index.at("entries"))
    out.push_back(pack.substr(newline + 1).substr(e.at("offset").get<std::size_t>(), e.at("length").get<std::size_t>()));
  return out;
}

std::string job_list() {
  kf::Json items = kf::Json::array();
  for (int i = 0; i < 1000; ++i) {
    kf::Json c = {{"name", "pytorch"}, {"image", "kf/trainer:latest"}, {"command", {"kf-trainer", "--epochs=3"}},
                  {"env", {{{"name", "KF_RUN"}, {"value", std::to_string(i)}}}},
                  {"resources", {{"limits", {{"cpu", "1"}, {"memory", "2Gi"}}}}}};
    kf::Json replica = {{"replicas", 1}, {"restartPolicy", "OnFailure"}, {"template", {{"spec", {{"containers", {c}}}}}}};
    items.push_back({{"apiVersion", "kubeflow.org/v1"},
                     {"kind", "PyTorchJob"},
                     {"metadata", {{"name", "run-" + std::to_string(i)}, {"namespace", "default"}, {"labels", {{"kf.dev/project", "demo"}}}}},
                     {"spec", {{"pytorchReplicaSpecs", {{"Master", replica}, {"Worker", replica}}}}},
                     {"status", {{"conditions", {{{"type", "Running"}, {"status", "True"}}}}}}});
  }
  return kf::Json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}.dump();
}

template <typename Parse> void parse_all(benchmark::State& state, const std::vector<std::string_view>& texts, Parse parse) {
  std::size_t bytes = 0;
  for (auto _ : state)
    for (const auto t : texts) {
      benchmark::DoNotOptimize(parse(t));
      bytes += t.size();
    }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_crds_nlohmann(benchmark::State& s) { parse_all(s, crd_texts(), [](std::string_view t) { return kf::Json::parse(t); }); }
void BM_crds_kf(benchmark::State& s) { parse_all(s, crd_texts(), [](std::string_view t) { return kf::json::parse(t); }); }
void BM_list_nlohmann(benchmark::State& s) {
  const std::string list = job_list();
  parse_all(s, {list}, [](std::string_view t) { return kf::Json::parse(t); });
}
void BM_list_kf(benchmark::State& s) {
  const std::string list = job_list();
  parse_all(s, {list}, [](std::string_view t) { return kf::json::parse(t); });
}

} // namespace

BENCHMARK(BM_crds_nlohmann)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_crds_kf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_list_nlohmann)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_list_kf)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
