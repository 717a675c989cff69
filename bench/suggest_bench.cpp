// kf-bench-suggest: Katib's suggestion algorithms (libkf/tune) on Branin,
// in-process. Per algorithm: the median over 20 seeds of the trials needed
// to reach regret < 0.1 (sequential, one suggestion per call), and the time
// of one suggest() call given 200 finished trials. Results: bench/RESULTS.md.
//   kf-bench-suggest [algorithm[,setting=value...]...]   (default: all of them)
//   KF_BENCH_SEEDS=N: seeds 1..N instead of 20 (a median of 20 seeds moves by several trials)
//   e.g. kf-bench-suggest tpe tpe,n_ei_candidates=48 cmaes,restart_strategy=ipop

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <string>
#include <vector>

#include "libkf/tune/suggest.h"

using namespace kf::tune;

namespace {

constexpr double kBraninMin = 0.397887;
constexpr int kMaxTrials = 300;

double branin(double x1, double x2) {
  const double pi = std::numbers::pi, b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  const double q = x2 - b * x1 * x1 + c * x1 - 6;
  return q * q + 10 * (1 - t) * std::cos(x1) + 10;
}

SearchSpace space() {
  return parse_space(kf::Json::parse(R"([
    {"name": "x1", "parameterType": "double", "feasibleSpace": {"min": "-5", "max": "10"}},
    {"name": "x2", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "15"}}])"));
}

Trial evaluate(Assignment a) {
  Trial t{std::move(a), TrialState::Succeeded, {}, {}};
  t.objective = branin(std::stod(t.assignment[0]), std::stod(t.assignment[1]));
  return t;
}

// "tpe,gamma=0.25" -> the algorithm and its settings.
Algorithm algorithm_of(const std::string& spec) {
  Algorithm a;
  std::size_t start = 0, comma;
  do {
    comma = spec.find(',', start);
    const std::string part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (start == 0) a.name = part;
    else a.settings.emplace_back(part.substr(0, part.find('=')), part.substr(part.find('=') + 1));
    start = comma + 1;
  } while (comma != std::string::npos);
  return a;
}

// Trials until regret < 0.1, or kMaxTrials + 1 when not reached.
int trials_to_regret(const std::string& algorithm, std::uint64_t seed) {
  const SearchSpace s = space();
  auto suggester = make_suggester(algorithm_of(algorithm), s, Objective{}, seed);
  std::vector<Trial> trials;
  while (static_cast<int>(trials.size()) < kMaxTrials) {
    auto next = suggester->suggest(trials, 1);
    if (next.empty()) break;
    trials.push_back(evaluate(next.front()));
    if (*trials.back().objective - kBraninMin < 0.1) return static_cast<int>(trials.size());
  }
  return kMaxTrials + 1;
}

// Milliseconds of one suggest() given 200 finished (random) trials; the median of 7.
double suggest_ms_at_200(const std::string& algorithm) {
  const SearchSpace s = space();
  std::vector<Trial> trials;
  auto random = make_suggester(Algorithm{"random", {}}, s, Objective{}, 7);
  while (trials.size() < 200) trials.push_back(evaluate(random->suggest(trials, 1).front()));
  auto suggester = make_suggester(algorithm_of(algorithm), s, Objective{}, 1);
  std::vector<double> ms;
  for (int rep = 0; rep < 7; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    auto next = suggester->suggest(trials, 1);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> algorithms(argv + 1, argv + argc);
  if (algorithms.empty()) algorithms = {"random", "sobol", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes"};
  std::printf("%-22s %8s %10s %24s %14s\n", "algorithm", "median", "p25-p75", "trials to regret<0.1", "suggest@200");
  const char* env = std::getenv("KF_BENCH_SEEDS");
  const int seeds = env && std::atoi(env) >= 4 ? std::atoi(env) : 20;
  for (const auto& a : algorithms) {
    std::vector<int> n;
    for (int seed = 1; seed <= seeds; ++seed) n.push_back(trials_to_regret(a, static_cast<std::uint64_t>(seed)));
    std::sort(n.begin(), n.end());
    const double median = seeds % 2 ? n[seeds / 2] : (n[seeds / 2 - 1] + n[seeds / 2]) / 2.0;
    std::string all;
    for (int v : n) all += (all.empty() ? "" : " ") + (v > kMaxTrials ? ">" + std::to_string(kMaxTrials) : std::to_string(v));
    std::printf("%-22s %8.1f %4d-%-5d %9.3f ms  [%s]\n", a.c_str(), median, n[seeds / 4], n[3 * seeds / 4],
                suggest_ms_at_200(a), all.c_str());
    std::fflush(stdout);
  }
}
