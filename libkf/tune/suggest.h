#pragma once
// Katib's suggestion algorithms, native: given an Experiment's search space
// (spec.parameters), its algorithm (spec.algorithm) and the trials so far,
// propose the parameter assignments of the next trials. The local
// Experiment controller (libkf/local/experiment*.cpp) asks a Suggester each
// time it has room for more trials.
//
// Determinism: suggest() is a pure function of (algorithm, settings, space,
// objective, seed, trials, count). A resumed experiment builds a new
// Suggester and, given the same trials, gets the same next assignments; the
// random stream is derived from the seed and the number of trials so far,
// never from state kept between calls.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libkf/util/error.h"
#include "libkf/util/json.h"

namespace kf::tune {

enum class ParameterType { Double, Int, Discrete, Categorical };
enum class Distribution { Uniform, LogUniform, Normal, LogNormal };

// One entry of spec.parameters (Katib's ParameterSpec).
struct Parameter {
  std::string name;
  ParameterType type = ParameterType::Double;
  double min = 0, max = 0;          // Double and Int (feasibleSpace.min/max)
  std::optional<double> step;       // feasibleSpace.step (Double, Int)
  std::vector<std::string> list;    // Discrete (numbers as written) and Categorical (feasibleSpace.list)
  Distribution distribution = Distribution::Uniform; // feasibleSpace.distribution
};

struct SearchSpace {
  std::vector<Parameter> parameters;
};

// spec.parameters (the JSON of the Experiment) -> SearchSpace. Throws
// FieldError naming the path ("spec.parameters[1].feasibleSpace.max") for
// anything Katib's validation refuses: min >= max, an unknown type or
// distribution, an empty list, a non-numeric Discrete value, a log
// distribution over a range that is not positive, duplicate names.
SearchSpace parse_space(const Json& parameters);

// A value per parameter, in SearchSpace order, as Katib writes them in
// parameterAssignments: Int as "3", Double as the shortest text that reads
// back as the same double ("0.0123"), Discrete/Categorical as the list entry.
using Assignment = std::vector<std::string>;

enum class TrialState { Running, Succeeded, Failed, EarlyStopped, MetricsUnavailable, Killed };

struct Trial {
  Assignment assignment;
  TrialState state = TrialState::Running;
  // The objective metric's value as the metric strategy reads it (min, max
  // or latest of the reported values); set when state is Succeeded (and may
  // be for EarlyStopped).
  std::optional<double> objective;
  // The objective's reported values in order (step = index), for algorithms
  // that look at learning curves.
  std::vector<double> intermediate;
};

// A new trial as an algorithm proposes it: its assignment and, for pbt, the
// trial (an index into the trials) whose checkpoint directory it starts from
// and the generation of the population it belongs to.
struct Proposal {
  Assignment assignment;
  std::optional<std::size_t> parent;
  int generation = 0;
};

struct Objective {
  bool maximize = false;   // spec.objective.type
};

// spec.algorithm
struct Algorithm {
  std::string name;                                          // algorithmName
  std::vector<std::pair<std::string, std::string>> settings; // algorithmSettings, in order
};

class Suggester {
public:
  virtual ~Suggester() = default;
  // Up to `count` new assignments, given every trial created so far (in
  // creation order, finished or not). Fewer (or none) when the space is
  // exhausted (grid). Never an assignment of a trial still running when the
  // algorithm can avoid it.
  virtual std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) = 0;
  // suggest() with where each new trial starts from: the default starts every
  // one from scratch (pbt's start from a parent's checkpoint).
  virtual std::vector<Proposal> propose(const std::vector<Trial>& trials, int count);
  // Given the trials (those just proposed included), whether the algorithm
  // will propose more once running trials finish. Asked when propose()
  // returned fewer than asked: false means the algorithm reached its end
  // (grid's last point, hyperband's last bracket); true that it waits for a
  // barrier (hyperband's rungs, pbt's generations).
  virtual bool waiting(const std::vector<Trial>& trials) const;
};

// The algorithms kf runs: "random", "grid", "sobol", "tpe",
// "multivariate-tpe", "bayesianoptimization", "cmaes", "hyperband", "pbt".
// `seed` is used unless
// the algorithm's random_state setting is given. Throws FieldError with the
// path "spec.algorithm.algorithmSettings[i].name" / ".value" for an unknown
// setting or a value Katib would refuse, "spec.algorithm.algorithmName" for
// an unknown algorithm (with the names it knows) or one the local target
// refuses (enas, darts), and "spec.parameters" when the algorithm cannot
// search that space (cmaes and bayesianoptimization need a numeric one, grid
// a finite one: Double needs a step; hyperband's resource_name names an int
// or double parameter).
std::unique_ptr<Suggester> make_suggester(const Algorithm& algorithm, const SearchSpace& space,
                                          const Objective& objective, std::uint64_t seed);

// make_suggester's checks alone (the same FieldErrors), without building the
// suggester: what loading kf.yaml runs on every verb.
void check_algorithm(const Algorithm& algorithm, const SearchSpace& space);

// pbt's suggestion_trial_dir as the settings give it (trimmed, without a
// trailing '/'); "" for the other algorithms or when it is not set.
std::string pbt_trial_dir(const Algorithm& algorithm);

// The algorithm names make_suggester knows.
std::vector<std::string> algorithm_names();

} // namespace kf::tune
