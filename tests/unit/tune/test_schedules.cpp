// hyperband and pbt: the algorithms that schedule trials in rungs and
// generations, waiting between them (Suggester::waiting).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "libkf/tune/suggest.h"
#include "tests/unit/tune/refusal.h"

using namespace kf;
using namespace kf::tune;

namespace {

SearchSpace space_with_epochs(const char* resource_type = "int") {
  Json j = Json::parse(R"([
    {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.05"}},
    {"name": "epochs", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "1"}},
    {"name": "opt", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam", "rms"]}}])");
  j[1]["parameterType"] = resource_type;
  return parse_space(j);
}

std::unique_ptr<Suggester> hyperband(const std::string& r_l, const std::string& eta, bool maximize = false) {
  return make_suggester({"hyperband", {{"resource_name", "epochs"}, {"eta", eta}, {"r_l", r_l}}}, space_with_epochs(),
                        Objective{maximize}, 5);
}

// Finishes every running trial with objective f (Succeeded).
template <typename F> void finish(std::vector<Trial>& trials, F f) {
  for (auto& t : trials)
    if (t.state == TrialState::Running) {
      t.state = TrialState::Succeeded;
      t.objective = f(t.assignment);
    }
}

void add(std::vector<Trial>& trials, const std::vector<Assignment>& as) {
  for (const auto& a : as) trials.push_back({a, TrialState::Running, std::nullopt, {}});
}

double lr(const Assignment& a) { return std::stod(a[0]); }

std::vector<std::string> column(const std::vector<Trial>& trials, std::size_t from, std::size_t to, std::size_t i) {
  std::vector<std::string> out;
  for (std::size_t k = from; k < to; ++k) out.push_back(trials[k].assignment[i]);
  return out;
}

std::string refusal(const Algorithm& a, const SearchSpace& space = space_with_epochs()) {
  return testing::refusal_of(a, space);
}

} // namespace

TEST_CASE("tune hyperband runs Li et al.'s brackets: r_l 9, eta 3") {
  auto s = hyperband("9", "3");
  std::vector<Trial> trials;
  // Bracket 2: 9 trials at 1 epoch; the best 3 at 3; the best at 9.
  add(trials, s->suggest(trials, 20));
  REQUIRE(trials.size() == 9u);
  CHECK(column(trials, 0, 9, 1) == std::vector<std::string>(9, "1"));
  CHECK(s->suggest(trials, 20).empty()); // the rung runs: hyperband waits
  CHECK(s->waiting(trials));
  finish(trials, lr); // minimize lr: the smallest go on
  std::vector<Assignment> rung0;
  for (const auto& t : trials) rung0.push_back(t.assignment);
  std::sort(rung0.begin(), rung0.end(), [](const auto& a, const auto& b) { return lr(a) < lr(b); });
  add(trials, s->suggest(trials, 20));
  REQUIRE(trials.size() == 12u);
  const std::string three = "3";
  for (std::size_t k = 0; k < 3; ++k) {
    CAPTURE(k);
    CHECK(trials[9 + k].assignment == Assignment{rung0[k][0], three, rung0[k][2]});
  }
  finish(trials, lr);
  add(trials, s->suggest(trials, 20));
  REQUIRE(trials.size() == 13u);
  CHECK(trials[12].assignment[0] == rung0[0][0]);
  CHECK(trials[12].assignment[1] == "9");
  finish(trials, lr);
  // Bracket 1: 5 trials at 3 epochs, then 2 at 9.
  add(trials, s->suggest(trials, 20));
  REQUIRE(trials.size() == 18u);
  CHECK(column(trials, 13, 18, 1) == std::vector<std::string>(5, "3"));
  finish(trials, lr);
  add(trials, s->suggest(trials, 20));
  REQUIRE(trials.size() == 20u);
  CHECK(column(trials, 18, 20, 1) == std::vector<std::string>(2, "9"));
  finish(trials, lr);
  // Bracket 0: 3 trials at 9 epochs; then the end.
  add(trials, s->suggest(trials, 20));
  REQUIRE(trials.size() == 23u);
  CHECK(column(trials, 20, 23, 1) == std::vector<std::string>(3, "9"));
  CHECK(!s->waiting(trials)); // the last rung was created: nothing more, even once it ends
  finish(trials, lr);
  CHECK(s->suggest(trials, 20).empty());
  CHECK(!s->waiting(trials));
}

TEST_CASE("tune hyperband fills a rung over several calls and never promotes a failed trial") {
  // Katib's example: r_l 2, eta 2 -> brackets [2 at 1, 1 at 2] and [2 at 2].
  auto s = hyperband("2", "2", true);
  std::vector<Trial> trials;
  add(trials, s->suggest(trials, 1));
  CHECK(s->waiting(trials));
  add(trials, s->suggest(trials, 1));
  REQUIRE(trials.size() == 2u);
  CHECK(s->suggest(trials, 1).empty());
  trials[0].state = TrialState::Failed; // the better one would be trials[0]; it failed
  trials[1].state = TrialState::Succeeded;
  trials[1].objective = 0.5;
  add(trials, s->suggest(trials, 5));
  REQUIRE(trials.size() == 3u);
  CHECK(trials[2].assignment[0] == trials[1].assignment[0]);
  CHECK(trials[2].assignment[1] == "2");
  trials[2].state = TrialState::MetricsUnavailable;
  add(trials, s->suggest(trials, 5));
  REQUIRE(trials.size() == 5u);
  CHECK(column(trials, 3, 5, 1) == std::vector<std::string>{"2", "2"});
  // A rung with nothing to promote ends its bracket.
  auto t = hyperband("4", "2");
  std::vector<Trial> none;
  add(none, t->suggest(none, 10)); // bracket 2: 3*4/3 = 4 trials at 1
  REQUIRE(none.size() == 4u);
  for (auto& x : none) x.state = TrialState::Failed;
  add(none, t->suggest(none, 10)); // bracket 1: ceil(3*2/2) = 3 trials at 2
  REQUIRE(none.size() == 7u);
  CHECK(column(none, 4, 7, 1) == std::vector<std::string>{"2", "2", "2"});
}

TEST_CASE("tune hyperband writes a double resource as a double and keeps an int one at 1 or more") {
  auto d = make_suggester({"hyperband", {{"resource_name", "epochs"}, {"r_l", "2.5"}, {"eta", "2"}}},
                          space_with_epochs("double"), Objective{}, 1);
  const auto first = d->suggest({}, 1);
  REQUIRE(first.size() == 1u);
  CHECK(first[0][1] == "1.25");
  auto i = make_suggester({"hyperband", {{"resource_name", "epochs"}, {"r_l", "0.5"}}}, space_with_epochs(), Objective{}, 1);
  const auto one = i->suggest({}, 5);
  REQUIRE(one.size() == 1u); // s_max 0: one bracket of one trial
  CHECK(one[0][1] == "1");
}

TEST_CASE("tune hyperband refuses what Katib's service refuses") {
  const std::string s0 = "spec.algorithm.algorithmSettings[0]";
  CHECK(refusal({"hyperband", {}}) == "spec.algorithm.algorithmSettings: hyperband needs the settings r_l, resource_name");
  CHECK(refusal({"hyperband", {{"r_l", "9"}}}) == "spec.algorithm.algorithmSettings: hyperband needs the setting resource_name");
  CHECK(refusal({"hyperband", {{"r_l", "-1"}, {"resource_name", "epochs"}}}) == s0 + ".value: must be a positive number, is -1");
  CHECK(refusal({"hyperband", {{"r_l", "many"}, {"resource_name", "epochs"}}}) == s0 + ".value: \"many\" is not a number");
  CHECK(refusal({"hyperband", {{"eta", "1"}, {"r_l", "9"}, {"resource_name", "epochs"}}}) ==
        s0 + ".value: must be greater than 1, is 1");
  CHECK(refusal({"hyperband", {{"r_l", "9"}, {"resource_name", "epoch"}}}) ==
        "spec.algorithm.algorithmSettings[1].value: resource_name must name one of the parameters (lr, epochs, opt), not "
        "\"epoch\" (did you mean 'epochs'?)");
  CHECK(refusal({"hyperband", {{"resource_name", "opt"}, {"r_l", "9"}}}) ==
        s0 + ".value: the resource opt must be a parameter of type int or double");
  CHECK(refusal({"hyperband", {{"r_l", "9"}, {"resource_name", "epochs"}, {"s_max", "2"}}}) ==
        "spec.algorithm.algorithmSettings[2].name: unknown setting \"s_max\" for algorithm hyperband: known are eta, r_l, "
        "random_state, resource_name");
}

namespace {

std::unique_ptr<Suggester> pbt(std::vector<std::pair<std::string, std::string>> extra = {}) {
  Algorithm a{"pbt", {{"suggestion_trial_dir", "/var/log/katib/checkpoints/"}, {"n_population", "5"}, {"truncation_threshold", "0.2"}}};
  a.settings.insert(a.settings.end(), extra.begin(), extra.end());
  return make_suggester(a, space_with_epochs(), Objective{true}, 11); // maximize
}

void add(std::vector<Trial>& trials, const std::vector<Proposal>& ps) {
  for (const auto& p : ps) trials.push_back({p.assignment, TrialState::Running, std::nullopt, {}});
}

} // namespace

TEST_CASE("tune pbt evolves a population generation by generation") {
  auto s = pbt();
  std::vector<Trial> trials;
  auto gen0 = s->propose(trials, 3);
  REQUIRE(gen0.size() == 3u);
  for (const auto& p : gen0) {
    CHECK(!p.parent);
    CHECK(p.generation == 0);
  }
  add(trials, gen0);
  add(trials, s->propose(trials, 3));
  REQUIRE(trials.size() == 5u); // the population
  CHECK(s->propose(trials, 3).empty());
  CHECK(s->waiting(trials));
  // Maximize lr: trials[k] scores k, so trial 0 is the bottom 20% and trial 4 the top.
  for (std::size_t k = 0; k < 5; ++k) {
    trials[k].state = TrialState::Succeeded;
    trials[k].objective = static_cast<double>(k);
  }
  const auto gen1 = s->propose(trials, 10);
  REQUIRE(gen1.size() == 5u);
  CHECK(gen1[0].parent == std::optional<std::size_t>(4)); // exploited: the best member's checkpoint
  for (std::size_t k = 1; k < 5; ++k) CHECK(gen1[k].parent == std::optional<std::size_t>(k));
  for (const auto& p : gen1) {
    CHECK(p.generation == 1);
    const Assignment& from = trials[*p.parent].assignment;
    // explore: lr times 0.8 or 1.2, clipped; epochs stays 1 (its range); opt moves to a neighbour
    const double ratio = lr(p.assignment) / lr(from);
    CHECK((std::abs(ratio - 0.8) < 1e-9 || std::abs(ratio - 1.2) < 1e-9 || lr(p.assignment) == 0.01 ||
           lr(p.assignment) == 0.05));
    CHECK(p.assignment[1] == "1");
    CHECK(p.assignment[2] != from[2]);
  }
  // The same trials give the same generation, also a part at a time.
  std::vector<Trial> again = trials;
  add(again, s->propose(again, 2));
  add(again, s->propose(again, 10));
  REQUIRE(again.size() == 10u);
  for (std::size_t k = 0; k < 5; ++k) CHECK(again[5 + k].assignment == gen1[k].assignment);
}

TEST_CASE("tune pbt replaces members without an objective and ends when a generation has none") {
  auto s = pbt({{"resample_probability", "0"}});
  std::vector<Trial> trials;
  add(trials, s->propose(trials, 5));
  for (std::size_t k = 0; k < 5; ++k) trials[k].state = TrialState::Failed;
  trials[2].state = TrialState::Succeeded;
  trials[2].objective = 0.1;
  const auto gen1 = s->propose(trials, 5);
  REQUIRE(gen1.size() == 5u);
  for (const auto& p : gen1) {
    CHECK(p.parent == std::optional<std::size_t>(2)); // the only member with an objective
    CHECK(p.assignment == trials[2].assignment);      // resample_probability 0: unchanged
  }
  add(trials, gen1);
  for (std::size_t k = 5; k < 10; ++k) trials[k].state = TrialState::Failed;
  CHECK(s->propose(trials, 5).empty());
  CHECK(!s->waiting(trials));
}

TEST_CASE("tune pbt refuses what Katib's service refuses") {
  CHECK(refusal({"pbt", {}}) ==
        "spec.algorithm.algorithmSettings: pbt needs the settings suggestion_trial_dir, n_population, truncation_threshold");
  const Algorithm ok{"pbt", {{"suggestion_trial_dir", "ckpt"}, {"n_population", "5"}, {"truncation_threshold", "0.2"}}};
  auto with = [&](std::size_t i, const std::string& value) {
    Algorithm a = ok;
    a.settings[i].second = value;
    return refusal(a);
  };
  CHECK(with(1, "4") == "spec.algorithm.algorithmSettings[1].value: must be 5 or greater, is 4");
  CHECK(with(2, "1.5") == "spec.algorithm.algorithmSettings[2].value: must be between 0 and 1, inclusive, is 1.5");
  CHECK(with(0, "../elsewhere") ==
        "spec.algorithm.algorithmSettings[0].value: must not leave the trial's directory ('..'): \"../elsewhere\"");
  Algorithm resample = ok;
  resample.settings.push_back({"resample_probability", "-0.1"});
  CHECK(refusal(resample) == "spec.algorithm.algorithmSettings[3].value: must be between 0 and 1, inclusive, is -0.1");
}
