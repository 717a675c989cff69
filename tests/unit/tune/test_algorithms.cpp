#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "libkf/tune/suggest.h"

using namespace kf;
using namespace kf::tune;

namespace {

const char* kMixed = R"([
  {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.001", "max": "0.1", "distribution": "logUniform"}},
  {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "9", "step": "2"}},
  {"name": "dropout", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1", "step": "0.25"}},
  {"name": "batch", "parameterType": "discrete", "feasibleSpace": {"list": ["16", "32", "64"]}},
  {"name": "momentum", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "10", "distribution": "normal"}},
  {"name": "opt", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam", "rms"]}}])";

double quadratic(const Assignment& a) {
  const double x = std::stod(a[0]), y = std::stod(a[1]);
  return (x - 1) * (x - 1) + (y + 2) * (y + 2);
}

// Runs `n` sequential trials of f, returning them.
template <typename F> std::vector<Trial> run(Suggester& s, int n, F f, int batch = 1) {
  std::vector<Trial> trials;
  while (static_cast<int>(trials.size()) < n) {
    auto next = s.suggest(trials, batch);
    if (next.empty()) break; // the schedule's end (hyperband)
    for (auto& a : next) {
      Trial t{a, TrialState::Succeeded, f(a), {}};
      trials.push_back(std::move(t));
    }
  }
  return trials;
}

// The settings an algorithm needs besides `extra` (hyperband's resource is "layers").
Algorithm with_required(const std::string& name, std::vector<std::pair<std::string, std::string>> extra = {}) {
  if (name == "hyperband") extra.insert(extra.end(), {{"r_l", "9"}, {"resource_name", "layers"}});
  if (name == "pbt") extra.insert(extra.end(), {{"suggestion_trial_dir", "ckpt"}, {"n_population", "5"}, {"truncation_threshold", "0.2"}});
  return {name, extra};
}

bool in(const std::string& v, std::vector<std::string> list) { return std::find(list.begin(), list.end(), v) != list.end(); }

void check_mixed(const Assignment& a, bool categorical) {
  REQUIRE(a.size() == (categorical ? 6u : 5u));
  const double lr = std::stod(a[0]);
  CHECK(lr >= 0.001);
  CHECK(lr <= 0.1);
  CHECK(in(a[1], {"1", "3", "5", "7", "9"}));
  CHECK(in(a[2], {"0", "0.25", "0.5", "0.75", "1"}));
  CHECK(in(a[3], {"16", "32", "64"}));
  const double m = std::stod(a[4]);
  CHECK(m >= 0);
  CHECK(m <= 10);
  if (categorical) CHECK(in(a[5], {"sgd", "adam", "rms"}));
}

SearchSpace mixed(bool categorical) {
  Json j = Json::parse(kMixed);
  if (!categorical) j.erase(j.size() - 1);
  return parse_space(j);
}

} // namespace

TEST_CASE("tune every algorithm respects the space - types, steps, bounds, lists") {
  for (const auto& name : algorithm_names()) {
    if (name == "grid") continue;
    CAPTURE(name);
    const bool categorical = name != "bayesianoptimization";
    const SearchSpace space = mixed(categorical);
    auto s = make_suggester(with_required(name, {{"random_state", "3"}}), space, Objective{}, 0);
    const auto trials = run(*s, name == "bayesianoptimization" ? 14 : 30, [](const Assignment& a) {
      return std::log(std::stod(a[0])) + std::stod(a[2]) + std::stod(a[4]) / 10;
    }, 2);
    for (const auto& t : trials) check_mixed(t.assignment, categorical);
  }
}

TEST_CASE("tune every algorithm is deterministic") {
  for (const auto& name : algorithm_names()) {
    if (name == "grid") continue;
    CAPTURE(name);
    const bool categorical = name != "bayesianoptimization";
    const SearchSpace space = mixed(categorical);
    auto a = make_suggester(with_required(name), space, Objective{true}, 42);
    // hyperband's 10th trial on is promoted, the same with every seed
    const auto trials = run(*a, name == "hyperband" ? 0 : 12, [](const Assignment& x) { return std::stod(x[2]) - std::stod(x[0]); }, 3);
    auto b = make_suggester(with_required(name), space, Objective{true}, 42);
    CHECK(a->suggest(trials, 3) == b->suggest(trials, 3));
    auto c = make_suggester(with_required(name), space, Objective{true}, 43);
    CHECK(a->suggest(trials, 3) != c->suggest(trials, 3));
  }
}

TEST_CASE("tune model-based algorithms beat random on a quadratic") {
  const auto space = parse_space(Json::parse(R"([
    {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "-5", "max": "5"}},
    {"name": "y", "parameterType": "double", "feasibleSpace": {"min": "-5", "max": "5"}}])"));
  for (const char* name : {"tpe", "multivariate-tpe", "cmaes", "bayesianoptimization"}) {
    CAPTURE(name);
    const int n = std::string(name) == "bayesianoptimization" ? 25 : 60;
    for (std::uint64_t seed : {1, 2}) {
      auto s = make_suggester({name, {}}, space, Objective{}, seed);
      double best = 1e9;
      for (const auto& t : run(*s, n, quadratic)) best = std::min(best, *t.objective);
      CHECK(best < 0.3); // random: about 1 in 100 trials lands this close
    }
  }
}

TEST_CASE("tune grid enumerates exactly the finite space, then none") {
  const auto space = parse_space(Json::parse(R"([
    {"name": "n", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3", "step": "2"}},
    {"name": "d", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "0.3", "step": "0.1"}},
    {"name": "c", "parameterType": "categorical", "feasibleSpace": {"list": ["a", "b"]}}])"));
  auto grid = make_suggester({"grid", {}}, space, Objective{}, 0);
  auto first = grid->suggest({}, 3);
  CHECK(first == std::vector<Assignment>{{"1", "0", "a"}, {"1", "0", "b"}, {"1", "0.1", "a"}});
  std::vector<Trial> trials;
  for (auto& a : first) trials.push_back(Trial{a, TrialState::Running, {}, {}});
  auto rest = grid->suggest(trials, 100);
  CHECK(rest.size() == 13u);
  CHECK(rest.back() == Assignment{"3", "0.3", "b"});
  for (auto& a : rest) trials.push_back(Trial{a, TrialState::Succeeded, 1.0, {}});
  CHECK(grid->suggest(trials, 5).empty());
}

TEST_CASE("tune values are written as Katib writes them") {
  const auto space = parse_space(Json::parse(R"([
    {"name": "d", "parameterType": "double", "feasibleSpace": {"min": "0.1", "max": "0.7", "step": "0.1"}}])"));
  auto grid = make_suggester({"grid", {}}, space, Objective{}, 0);
  CHECK(grid->suggest({}, 10) ==
        std::vector<Assignment>{{"0.1"}, {"0.2"}, {"0.3"}, {"0.4"}, {"0.5"}, {"0.6"}, {"0.7"}});
  const auto log = parse_space(Json::parse(R"([
    {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "1e-5", "max": "1", "distribution": "logUniform"}}])"));
  auto random = make_suggester({"random", {}}, log, Objective{}, 5);
  int below = 0;
  for (const auto& a : random->suggest({}, 200)) below += std::stod(a[0]) < 1e-3 ? 1 : 0;
  CHECK(below > 60); // 3 of 5 decades: log space, not 0.1% of the range
}

TEST_CASE("tune suggestions avoid running trials' assignments") {
  const auto space = parse_space(Json::parse(R"([
    {"name": "c", "parameterType": "categorical", "feasibleSpace": {"list": ["a", "b"]}},
    {"name": "d", "parameterType": "categorical", "feasibleSpace": {"list": ["x", "y"]}}])"));
  std::vector<Trial> running;
  for (Assignment a : std::vector<Assignment>{{"a", "x"}, {"a", "y"}, {"b", "x"}})
    running.push_back(Trial{a, TrialState::Running, {}, {}});
  for (const char* name : {"random", "tpe", "multivariate-tpe"}) {
    CAPTURE(name);
    auto s = make_suggester({name, {}}, space, Objective{}, 9);
    CHECK(s->suggest(running, 1) == std::vector<Assignment>{{"b", "y"}});
  }
}

TEST_CASE("tune every algorithm takes a parameter fixed by min == max") {
  const auto space = parse_space(Json::parse(R"([
    {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "-5", "max": "5", "step": "0.5"}},
    {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "9"}},
    {"name": "fixed", "parameterType": "double", "feasibleSpace": {"min": "0.3", "max": "0.3"}},
    {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.01", "distribution": "logUniform"}}])"));
  for (const auto& name : algorithm_names()) {
    CAPTURE(name);
    auto s = make_suggester(with_required(name), space, Objective{}, 4);
    const auto trials = run(*s, 16, [](const Assignment& a) { return std::stod(a[0]) * std::stod(a[0]); }, 2);
    CHECK(trials.size() >= 3u);
    for (const auto& t : trials) {
      CHECK(t.assignment[2] == "0.3");
      CHECK(t.assignment[3] == "0.01");
    }
  }
}
