#include <doctest/doctest.h>

#include "libkf/tune/suggest.h"
#include "tests/unit/tune/refusal.h"

using namespace kf;
using namespace kf::tune;

namespace {

SearchSpace two_doubles() {
  return parse_space(Json::parse(R"([
    {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "-5", "max": "5"}},
    {"name": "y", "parameterType": "double", "feasibleSpace": {"min": "-5", "max": "5"}}])"));
}

std::string refusal(const Algorithm& a, const SearchSpace& space = two_doubles()) {
  return testing::refusal_of(a, space);
}

} // namespace

TEST_CASE("tune make_suggester accepts Katib's settings") {
  for (const auto& name : algorithm_names()) {
    SearchSpace space = two_doubles();
    if (name == "grid") space.parameters[0].step = space.parameters[1].step = 1.0;
    Algorithm a{name, {{"random_state", "7"}}};
    if (name == "hyperband") a.settings.insert(a.settings.end(), {{"r_l", "9"}, {"resource_name", "y"}});
    if (name == "pbt")
      a.settings.insert(a.settings.end(), {{"suggestion_trial_dir", "/var/log/katib/checkpoints/"}, {"n_population", "40"},
                                           {"truncation_threshold", "0.2"}});
    CHECK(refusal(a, space) == "accepted");
  }
  CHECK(refusal({"hyperband", {{"resource_name", "x"}, {"eta", "2"}, {"r_l", "2.5"}}}) == "accepted");
  CHECK(refusal({"pbt", {{"suggestion_trial_dir", "ckpt"}, {"n_population", "5"}, {"truncation_threshold", "0"},
                         {"resample_probability", "0.5"}}}) == "accepted");
  CHECK(refusal({"tpe", {{"gamma", "0.25"}, {"prior_weight", "1.0"}, {"n_EI_candidates", "24"}, {"n_startup_trials", "5"}}}) ==
        "accepted");
  CHECK(refusal({"multivariate-tpe", {{"n_startup_trials", "5"}, {"n_ei_candidates", "24"}}}) == "accepted");
  CHECK(refusal({"bayesianoptimization",
                 {{"base_estimator", "GP"}, {"n_initial_points", "5"}, {"acq_func", "EI"}, {"acq_optimizer", "lbfgs"}}}) ==
        "accepted");
  CHECK(refusal({"cmaes", {{"sigma", "1.5"}, {"restart_strategy", "bipop"}}}) == "accepted");
  CHECK(refusal({"cmaes", {{"restart_strategy", "None"}}}) == "accepted");
}

TEST_CASE("tune make_suggester refusals name the field") {
  const std::string s0 = "spec.algorithm.algorithmSettings[0]";
  CHECK(refusal({"tpe", {{"gama", "0.5"}}}) ==
        s0 + ".name: unknown setting \"gama\" for algorithm tpe: known are bandwidth_weighted, gamma, n_EI_candidates, n_ei_candidates, "
             "n_startup_trials, prior_weight, random_state (did you mean 'gamma'?)");
  CHECK(refusal({"tpe", {{"gamma", "1.5"}}}) == s0 + ".value: must be in the range (0, 1), is 1.5");
  CHECK(refusal({"tpe", {{"prior_weight", "0"}}}) == s0 + ".value: must be greater than 0, is 0");
  CHECK(refusal({"tpe", {{"n_EI_candidates", "0"}}}) == s0 + ".value: must be greater than 0, is 0");
  CHECK(refusal({"tpe", {{"prior_weight", "aaa"}}}) == s0 + ".value: \"aaa\" is not a number");
  CHECK(refusal({"tpe", {{"bandwidth_weighted", "yes"}}}) == s0 + ".value: unsupported value \"yes\": one of true, false");
  CHECK(refusal({"random", {{"random_state", "-1"}}}) == s0 + ".value: must be 0 or greater, is -1");
  CHECK(refusal({"random", {{"random_state", "1.5"}}}) == s0 + ".value: \"1.5\" is not an integer");
  CHECK(refusal({"multivariate-tpe", {{"n_startup_trials", "-1"}}}) == s0 + ".value: must be 0 or greater, is -1");
  CHECK(refusal({"multivariate-tpe", {{"gamma", "0.5"}}}) ==
        s0 + ".name: unknown setting \"gamma\" for algorithm multivariate-tpe: known are bandwidth_weighted, n_ei_candidates, "
             "n_startup_trials, random_state");
  CHECK(refusal({"bayesianoptimization", {{"base_estimator", "RF"}}}) ==
        s0 + ".value: base_estimator RF is not implemented by kf's bayesianoptimization, which runs a Gaussian process (GP)");
  CHECK(refusal({"bayesianoptimization", {{"base_estimator", "XX"}}}) ==
        s0 + ".value: unsupported value \"XX\": one of GP, RF, ET, GBRT");
  CHECK(refusal({"bayesianoptimization", {{"acq_func", "ei"}}}) ==
        s0 + ".value: unsupported value \"ei\": one of gp_hedge, LCB, EI, PI, EIps, PIps (did you mean 'EI'?)");
  CHECK(refusal({"bayesianoptimization", {{"acq_func", "EIps"}}}) ==
        s0 + ".value: EIps weighs by each trial's run time, which kf does not model: use gp_hedge, EI, PI or LCB");
  CHECK(refusal({"bayesianoptimization", {{"acq_optimizer", "adam"}}}) ==
        s0 + ".value: unsupported value \"adam\": one of auto, sampling, lbfgs");
  CHECK(refusal({"bayesianoptimization", {{"n_initial_points", "-2"}}}) == s0 + ".value: must be 0 or greater, is -2");
  CHECK(refusal({"cmaes", {{"sigma", "0"}}}) == s0 + ".value: must be greater than 0, is 0");
  CHECK(refusal({"cmaes", {{"random_state", "1"}, {"restart_strategy", "lpop"}}}) ==
        "spec.algorithm.algorithmSettings[1].value: unsupported value \"lpop\": one of none, None, ipop, bipop "
        "(did you mean 'ipop'?)");
}

TEST_CASE("tune make_suggester refuses algorithms and spaces it cannot run") {
  CHECK(refusal({"enas", {}}) == "spec.algorithm.algorithmName: enas is neural architecture search, which the local "
                                 "target does not run (run it on a cluster with Katib)");
  CHECK(refusal({"darts", {}}) == "spec.algorithm.algorithmName: darts is neural architecture search, which the local "
                                  "target does not run (run it on a cluster with Katib)");
  CHECK(refusal({"bayesian", {}}) ==
        "spec.algorithm.algorithmName: unknown algorithm \"bayesian\": one of random, grid, sobol, tpe, "
        "multivariate-tpe, bayesianoptimization, cmaes, hyperband, pbt");
  CHECK(refusal({"rnadom", {}}) ==
        "spec.algorithm.algorithmName: unknown algorithm \"rnadom\": one of random, grid, sobol, tpe, "
        "multivariate-tpe, bayesianoptimization, cmaes, hyperband, pbt (did you mean 'random'?)");
  CHECK(refusal({"grid", {}}) == "spec.parameters[0].feasibleSpace.step: grid needs a step for parameterType double "
                                 "(the grid must be finite)");
  const auto one = parse_space(Json::parse(R"([
    {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}},
    {"name": "c", "parameterType": "categorical", "feasibleSpace": {"list": ["a", "b"]}}])"));
  CHECK(refusal({"cmaes", {}}, one) == "spec.parameters: cmaes needs two or more parameters of type double or int, has 1");
  CHECK(refusal({"bayesianoptimization", {}}, one) ==
        "spec.parameters[1].parameterType: bayesianoptimization models numeric parameters only (double, int, "
        "discrete); use tpe or multivariate-tpe for categorical ones");
}
