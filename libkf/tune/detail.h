#pragma once
// What the algorithms of libkf/tune share, not part of suggest.h's interface:
// the random stream, the unit-cube encoding of a search space, the trials
// as observations, and the value of each algorithm's settings.
//
// A point is one coordinate per parameter. A numeric parameter (Double, Int)
// is encoded in [0, 1]: (x - min) / (max - min), or the same in log space for
// the log distributions. A Discrete parameter is encoded the same way over
// its numeric values' range when `discrete_numeric` is asked for, else (like
// a Categorical one) as the index of its list entry.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "libkf/tune/suggest.h"

namespace kf::tune::detail {

// mt19937_64 with the transforms written here, so a seed gives the same
// numbers with every standard library.
class Rng {
public:
  explicit Rng(std::uint64_t seed) : m_engine(seed) {}
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller, one of the pair).
  double normal();
  // Uniform in [0, n).
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * static_cast<double>(n)); }
  std::uint64_t bits() { return m_engine(); }

private:
  std::mt19937_64 m_engine;
};

// The stream for a call: derived from the seed, the number of trials so far
// and a salt naming the use (never from state kept between calls).
Rng make_rng(std::uint64_t seed, std::size_t n_trials, std::uint64_t salt = 0);

using Point = std::vector<double>;

bool is_numeric(const Parameter& p); // Double or Int
bool is_log(const Parameter& p);
// Discrete's entries as numbers, sorted (parse_space checked they are numbers).
std::vector<double> discrete_values(const Parameter& p);

// Encoding of one parameter: numeric and (when asked) Discrete in [0, 1];
// Categorical and other Discrete: the index of the entry.
class Codec {
public:
  Codec(const SearchSpace& space, bool discrete_numeric);
  const SearchSpace& space() const { return m_space; }
  std::size_t size() const { return m_space.parameters.size(); }
  bool continuous(std::size_t i) const;     // coordinate i is in [0, 1]
  std::size_t choices(std::size_t i) const; // entries of a list coordinate
  // A coordinate snapped to what the parameter can take (step, Int, list).
  double snap(std::size_t i, double u) const;
  Point snap(Point x) const;
  std::string text(std::size_t i, double u) const;
  Assignment assignment(const Point& x) const;
  // The point of an assignment, or nullopt when a value does not parse or is
  // not in the space (a trial from an edited spec).
  std::optional<Point> point(const Assignment& a) const;
  double entry(std::size_t i, std::size_t k) const; // the coordinate of list entry k

private:
  double value(std::size_t i, double u) const;  // numeric: the snapped value
  double encode(std::size_t i, double v) const; // numeric: value -> [0, 1]
  std::size_t nearest_entry(std::size_t i, double u) const; // numeric Discrete
  const SearchSpace& m_space;
  bool m_discrete_numeric;
  // numeric Discrete: the entries' values, sorted, with their index in list
  std::vector<std::vector<std::pair<double, std::size_t>>> m_sorted;
};

// A draw from the parameter's prior: uniform (in log space for the log
// distributions); normal/logNormal with mean (min+max)/2 and sd (max-min)/6
// (in log space for logNormal), clipped to the range; a list entry uniformly.
double sample_prior(const Codec& codec, std::size_t i, Rng& rng);
Point sample_prior(const Codec& codec, Rng& rng);

// A number as Katib's values are written ("0.01", " 3 ", "+1e-3"), or nullopt.
std::optional<double> parse_value(std::string_view s);

// Katib's value text: Int as "3"; Double as the shortest text that reads back
// as the same double.
std::string format_double(double v);
std::string format_int(double v);

// The trials as the model-based algorithms see them: finished ones with an
// objective (as a loss: negated when maximizing), and those still running.
struct History {
  std::vector<Point> points;
  std::vector<double> losses;
  std::vector<Point> pending; // Running trials (and this call's earlier picks)
};
History history(const Codec& codec, const std::vector<Trial>& trials, const Objective& objective);

// Whether `a` is the assignment of a running trial or an earlier pick of
// this call.
bool busy(const Assignment& a, const std::vector<Trial>& trials, const std::vector<Assignment>& picked);

// The suggest() of the model-based algorithms (tpe, bayesianoptimization):
// `count` assignments, each from the prior (re-drawn while busy, up to 20
// times) until `startup` trials have finished, from `next` after that; each
// pick is pending for the ones after it. `next` gets the history, this
// call's picks so far and the call's random stream.
using NextAssignment = std::function<Assignment(const History&, const std::vector<Assignment>&, Rng&)>;
std::vector<Assignment> suggest_after_startup(const Codec& codec, const std::vector<Trial>& trials,
                                              const Objective& objective, std::uint64_t seed, int count, int startup,
                                              const NextAssignment& next);

// Settings, checked by make_suggester (suggest.cpp) and read by the algorithms.
struct Settings {
  std::optional<std::uint64_t> random_state;
  // tpe / multivariate-tpe
  std::optional<double> gamma;
  double prior_weight = 1.0;
  int n_ei_candidates = 24;
  int n_startup_trials = 10;
  // Each observation's kernel scores l(x)/g(x) with its weight times its
  // bandwidth, as Optuna 3.1's TPE does (its truncated normal's log-density
  // leaves out -log(scale)); false: the textbook mixture (hyperopt). Sampling
  // from l is the same either way. bench/RESULTS.md: 61 trials to Branin's
  // regret < 0.1 against 65.5, median of 500 seeds (Optuna 3.1: 58.5).
  bool bandwidth_weighted = true;
  // bayesianoptimization
  int n_initial_points = 10;
  std::string acq_func = "gp_hedge";
  std::string acq_optimizer = "auto";
  // cmaes
  std::optional<double> sigma;
  std::string restart_strategy = "none";
  // hyperband
  double r_l = 0, eta = 3;
  std::string resource_name;
  std::size_t resource = 0; // the index of resource_name's parameter (make_suggester finds it)
  // pbt
  std::string suggestion_trial_dir;
  int n_population = 0;
  double truncation_threshold = 0;
  std::optional<double> resample_probability;
};

std::unique_ptr<Suggester> make_random(const SearchSpace& space, std::uint64_t seed);
std::unique_ptr<Suggester> make_grid(const SearchSpace& space);
std::unique_ptr<Suggester> make_sobol(const SearchSpace& space, std::uint64_t seed);
std::unique_ptr<Suggester> make_tpe(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                    const Settings& settings, bool multivariate);
std::unique_ptr<Suggester> make_gp(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                   const Settings& settings);
std::unique_ptr<Suggester> make_cmaes(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                      const Settings& settings);
std::unique_ptr<Suggester> make_hyperband(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                          const Settings& settings);
std::unique_ptr<Suggester> make_pbt(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                    const Settings& settings);

// The grid's values of one parameter (Double needs a step: nullopt without).
std::optional<std::vector<std::string>> grid_values(const Parameter& p);

} // namespace kf::tune::detail
