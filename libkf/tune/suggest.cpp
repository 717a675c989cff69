// make_suggester: the algorithm's name, its settings as Katib's suggestion
// services validate them, and whether it can search the space.
//
// Settings per algorithm, as the service Katib's default katib-config runs
// for it reads them:
//   random, grid, sobol      random_state                       (hyperopt, optuna, goptuna)
//   tpe                      gamma, prior_weight, n_EI_candidates, random_state (hyperopt),
//                            and optuna's n_startup_trials, n_ei_candidates; kf's
//                            bandwidth_weighted (detail.h)
//   multivariate-tpe         n_startup_trials, n_ei_candidates, random_state    (optuna),
//                            bandwidth_weighted
//   bayesianoptimization     base_estimator, n_initial_points, acq_func, acq_optimizer,
//                            random_state                                       (skopt)
//   cmaes                    random_state, sigma, restart_strategy              (goptuna)
//   hyperband                r_l, eta, resource_name (Katib's hyperband service), random_state
//   pbt                      suggestion_trial_dir, n_population, truncation_threshold,
//                            resample_probability (Katib's pbt service), random_state

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>

#include "libkf/tune/detail.h"
#include "libkf/util/strings.h"

namespace kf::tune {
namespace {

using detail::Settings;

struct Setting {
  std::string path, value;
};

long long int_value(const Setting& s, long long min) {
  const std::string t = str::trim(s.value);
  long long v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size())
    throw FieldError(s.path, str::quote(s.value) + " is not an integer");
  if (v < min) throw FieldError(s.path, "must be " + std::string(min == 0 ? "0 or greater" : "greater than 0") + ", is " + t);
  return v;
}

double float_value(const Setting& s) {
  auto v = detail::parse_value(s.value);
  if (!v) throw FieldError(s.path, str::quote(s.value) + " is not a number");
  return *v;
}

std::string one_of(const Setting& s, const std::vector<std::string>& allowed) {
  std::string hint = str::did_you_mean(s.value, allowed);
  for (const auto& a : allowed) {
    if (s.value == a) return a;
    if (str::lower(s.value) == str::lower(a)) hint = " (did you mean '" + a + "'?)";
  }
  throw FieldError(s.path, "unsupported value " + str::quote(s.value) + ": one of " + str::join(allowed, ", ") + hint);
}

using Reader = std::function<void(const Setting&, Settings&)>;

void random_state(const Setting& s, Settings& out) { out.random_state = static_cast<std::uint64_t>(int_value(s, 0)); }

const std::map<std::string, Reader>& tpe_readers() {
  static const std::map<std::string, Reader> readers = {
      {"random_state", random_state},
      {"gamma",
       [](const Setting& s, Settings& o) {
         o.gamma = float_value(s);
         if (!(*o.gamma > 0 && *o.gamma < 1)) throw FieldError(s.path, "must be in the range (0, 1), is " + s.value);
       }},
      {"prior_weight",
       [](const Setting& s, Settings& o) {
         o.prior_weight = float_value(s);
         if (!(o.prior_weight > 0)) throw FieldError(s.path, "must be greater than 0, is " + s.value);
       }},
      {"n_EI_candidates", [](const Setting& s, Settings& o) { o.n_ei_candidates = static_cast<int>(int_value(s, 1)); }},
      {"n_ei_candidates", [](const Setting& s, Settings& o) { o.n_ei_candidates = static_cast<int>(int_value(s, 1)); }},
      {"n_startup_trials", [](const Setting& s, Settings& o) { o.n_startup_trials = static_cast<int>(int_value(s, 0)); }},
      {"bandwidth_weighted", [](const Setting& s, Settings& o) { o.bandwidth_weighted = one_of(s, {"true", "false"}) == "true"; }},
  };
  return readers;
}

void base_estimator(const Setting& s, Settings&) {
  const std::string v = one_of(s, {"GP", "RF", "ET", "GBRT"});
  if (v != "GP")
    throw FieldError(s.path, "base_estimator " + v + " is not implemented by kf's bayesianoptimization, which runs a "
                                                     "Gaussian process (GP)");
}

void acq_func(const Setting& s, Settings& o) {
  o.acq_func = one_of(s, {"gp_hedge", "LCB", "EI", "PI", "EIps", "PIps"});
  if (o.acq_func == "EIps" || o.acq_func == "PIps")
    throw FieldError(s.path, o.acq_func + " weighs by each trial's run time, which kf does not model: use gp_hedge, "
                                          "EI, PI or LCB");
}

// A number in [0, 1].
double fraction(const Setting& s) {
  const double v = float_value(s);
  if (!(v >= 0 && v <= 1)) throw FieldError(s.path, "must be between 0 and 1, inclusive, is " + s.value);
  return v;
}

const std::map<std::string, Reader>& hyperband_readers() {
  static const std::map<std::string, Reader> readers = {
      {"random_state", random_state},
      {"r_l",
       [](const Setting& s, Settings& o) {
         o.r_l = float_value(s);
         if (!(o.r_l > 0) || !std::isfinite(o.r_l)) throw FieldError(s.path, "must be a positive number, is " + s.value);
       }},
      {"eta",
       [](const Setting& s, Settings& o) {
         o.eta = float_value(s);
         if (!(o.eta > 1) || !std::isfinite(o.eta)) throw FieldError(s.path, "must be greater than 1, is " + s.value);
       }},
      {"resource_name", [](const Setting& s, Settings& o) { o.resource_name = s.value; }},
  };
  return readers;
}

const std::map<std::string, Reader>& pbt_readers() {
  static const std::map<std::string, Reader> readers = {
      {"random_state", random_state},
      {"suggestion_trial_dir",
       [](const Setting& s, Settings& o) {
         o.suggestion_trial_dir = str::trim(s.value);
         if (o.suggestion_trial_dir.empty()) throw FieldError(s.path, "must be a directory's path");
         for (const auto& part : str::split(o.suggestion_trial_dir, '/'))
           if (part == "..") throw FieldError(s.path, "must not leave the trial's directory ('..'): " + str::quote(s.value));
       }},
      {"n_population", [](const Setting& s, Settings& o) {
         o.n_population = static_cast<int>(int_value(s, 1));
         if (o.n_population < 5) throw FieldError(s.path, "must be 5 or greater, is " + s.value);
       }},
      {"truncation_threshold", [](const Setting& s, Settings& o) { o.truncation_threshold = fraction(s); }},
      {"resample_probability", [](const Setting& s, Settings& o) { o.resample_probability = fraction(s); }},
  };
  return readers;
}

const std::map<std::string, std::map<std::string, Reader>>& readers() {
  static const std::map<std::string, std::map<std::string, Reader>> all = {
      {"random", {{"random_state", random_state}}},
      {"grid", {{"random_state", random_state}}},
      {"sobol", {{"random_state", random_state}}},
      {"tpe", tpe_readers()},
      {"multivariate-tpe",
       {{"random_state", random_state},
        {"n_startup_trials", tpe_readers().at("n_startup_trials")},
        {"n_ei_candidates", tpe_readers().at("n_ei_candidates")},
        {"bandwidth_weighted", tpe_readers().at("bandwidth_weighted")}}},
      {"bayesianoptimization",
       {{"random_state", random_state},
        {"base_estimator", base_estimator},
        {"n_initial_points", [](const Setting& s, Settings& o) { o.n_initial_points = static_cast<int>(int_value(s, 0)); }},
        {"acq_func", acq_func},
        {"acq_optimizer", [](const Setting& s, Settings& o) { o.acq_optimizer = one_of(s, {"auto", "sampling", "lbfgs"}); }}}},
      {"cmaes",
       {{"random_state", random_state},
        {"sigma",
         [](const Setting& s, Settings& o) {
           o.sigma = float_value(s);
           if (!(*o.sigma > 0)) throw FieldError(s.path, "must be greater than 0, is " + s.value);
         }},
        {"restart_strategy", [](const Setting& s, Settings& o) {
           o.restart_strategy = one_of(s, {"none", "None", "ipop", "bipop"});
           if (o.restart_strategy == "None") o.restart_strategy = "none";
         }}}},
      {"hyperband", hyperband_readers()},
      {"pbt", pbt_readers()},
  };
  return all;
}

Settings read_settings(const Algorithm& algorithm) {
  const auto& known = readers().at(algorithm.name);
  std::vector<std::string> names;
  for (const auto& [k, v] : known) names.push_back(k);
  Settings out;
  for (std::size_t i = 0; i < algorithm.settings.size(); ++i) {
    const auto& [name, value] = algorithm.settings[i];
    const std::string path = "spec.algorithm.algorithmSettings[" + std::to_string(i) + "]";
    auto it = known.find(name);
    if (it == known.end())
      throw FieldError(path + ".name", "unknown setting " + str::quote(name) + " for algorithm " + algorithm.name +
                                           ": known are " + str::join(names, ", ") + str::did_you_mean(name, names));
    it->second(Setting{path + ".value", value}, out);
  }
  return out;
}

// The settings an algorithm cannot do without, as Katib's services require
// them; hyperband's resource_name resolved to its parameter.
void check_required(const Algorithm& algorithm, const SearchSpace& space, Settings& settings) {
  auto missing = [&](const std::vector<std::string>& required) {
    std::vector<std::string> absent;
    for (const auto& r : required)
      if (std::none_of(algorithm.settings.begin(), algorithm.settings.end(), [&](const auto& s) { return s.first == r; }))
        absent.push_back(r);
    if (!absent.empty())
      throw FieldError("spec.algorithm.algorithmSettings", algorithm.name + " needs the setting" + (absent.size() > 1 ? "s " : " ") +
                                                               str::join(absent, ", "));
  };
  if (algorithm.name == "pbt") missing({"suggestion_trial_dir", "n_population", "truncation_threshold"});
  if (algorithm.name != "hyperband") return;
  missing({"r_l", "resource_name"});
  std::size_t at = 0;
  while (algorithm.settings[at].first != "resource_name") ++at;
  const std::string path = "spec.algorithm.algorithmSettings[" + std::to_string(at) + "].value";
  std::vector<std::string> names;
  for (const auto& p : space.parameters) names.push_back(p.name);
  const auto it = std::find(names.begin(), names.end(), settings.resource_name);
  if (it == names.end())
    throw FieldError(path, "resource_name must name one of the parameters (" + str::join(names, ", ") + "), not " +
                               str::quote(settings.resource_name) + str::did_you_mean(settings.resource_name, names));
  settings.resource = static_cast<std::size_t>(it - names.begin());
  if (!detail::is_numeric(space.parameters[settings.resource]))
    throw FieldError(path, "the resource " + settings.resource_name + " must be a parameter of type int or double");
}

void check_space(const std::string& algorithm, const SearchSpace& space) {
  const auto& ps = space.parameters;
  std::size_t numeric = 0;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const std::string path = "spec.parameters[" + std::to_string(i) + "]";
    if (algorithm == "grid" && ps[i].type == ParameterType::Double && !ps[i].step && ps[i].min != ps[i].max)
      throw FieldError(path + ".feasibleSpace.step", "grid needs a step for parameterType double (the grid must be finite)");
    if (algorithm == "bayesianoptimization" && ps[i].type == ParameterType::Categorical)
      throw FieldError(path + ".parameterType", "bayesianoptimization models numeric parameters only (double, int, "
                                                "discrete); use tpe or multivariate-tpe for categorical ones");
    numeric += detail::is_numeric(ps[i]) ? 1 : 0;
  }
  if (algorithm == "cmaes" && numeric < 2)
    throw FieldError("spec.parameters", "cmaes needs two or more parameters of type double or int, has " +
                                            std::to_string(numeric));
  if (algorithm == "sobol" && ps.size() > 32)
    throw FieldError("spec.parameters", "sobol supports at most 32 parameters, has " + std::to_string(ps.size()));
}

Settings checked_settings(const Algorithm& algorithm, const SearchSpace& space) {
  const std::string& name = algorithm.name;
  const std::string path = "spec.algorithm.algorithmName";
  if (name == "enas" || name == "darts")
    throw FieldError(path, name + " is neural architecture search, which the local target does not run "
                                  "(run it on a cluster with Katib)");
  if (!readers().count(name))
    throw FieldError(path, (name.empty() ? std::string("must be specified") : "unknown algorithm " + str::quote(name)) +
                               ": one of " + str::join(algorithm_names(), ", ") +
                               str::did_you_mean(name, algorithm_names()));
  Settings settings = read_settings(algorithm);
  check_required(algorithm, space, settings);
  check_space(name, space);
  return settings;
}

} // namespace

std::vector<std::string> algorithm_names() {
  return {"random", "grid", "sobol", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes", "hyperband", "pbt"};
}

std::vector<Proposal> Suggester::propose(const std::vector<Trial>& trials, int count) {
  std::vector<Proposal> out;
  for (auto& a : suggest(trials, count)) out.push_back({std::move(a), std::nullopt, 0});
  return out;
}

bool Suggester::waiting(const std::vector<Trial>&) const { return false; }

void check_algorithm(const Algorithm& algorithm, const SearchSpace& space) { (void)checked_settings(algorithm, space); }

std::string pbt_trial_dir(const Algorithm& algorithm) {
  std::string p;
  if (algorithm.name == "pbt")
    for (const auto& [k, v] : algorithm.settings)
      if (k == "suggestion_trial_dir") p = str::trim(v);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::unique_ptr<Suggester> make_suggester(const Algorithm& algorithm, const SearchSpace& space,
                                          const Objective& objective, std::uint64_t seed) {
  const std::string& name = algorithm.name;
  const Settings settings = checked_settings(algorithm, space);
  const std::uint64_t s = settings.random_state.value_or(seed);
  if (name == "random") return detail::make_random(space, s);
  if (name == "grid") return detail::make_grid(space);
  if (name == "sobol") return detail::make_sobol(space, s);
  if (name == "tpe" || name == "multivariate-tpe") return detail::make_tpe(space, objective, s, settings, name != "tpe");
  if (name == "bayesianoptimization") return detail::make_gp(space, objective, s, settings);
  if (name == "hyperband") return detail::make_hyperband(space, objective, s, settings);
  if (name == "pbt") return detail::make_pbt(space, objective, s, settings);
  return detail::make_cmaes(space, objective, s, settings);
}

} // namespace kf::tune
