// pbt: population based training (Jaderberg et al., 2017) with Katib's
// settings: n_population members train at a time as trials; each trial
// trains from its parent's checkpoint (the controller copies the parent
// trial's suggestion_trial_dir into the new trial's before it starts) and
// writes its own. When a generation has finished, the next one is made from
// it, member by member:
// - exploit: the bottom truncation_threshold of the generation (and every
//   member without an objective) takes a member of the top
//   truncation_threshold, drawn at random, as its parent: that member's
//   checkpoint and parameters;
// - explore: the parameters of every new member are then perturbed (numbers
//   times 0.8 or 1.2, clipped to the range; a list entry's neighbour) or,
//   with resample_probability set, each redrawn from the space with that
//   probability.
// The population evolves until maxTrialCount or the goal ends the
// experiment; it ends by itself only when a whole generation reported no
// objective.
//
// Where kf differs from Katib's pbt service: Katib's starts a generation
// while the last one still runs (sampling parents from the generation
// before) and gives an exploited member its own checkpoint with the better
// member's parameters; kf waits for each generation (waiting()) and copies
// the better member's checkpoint too, as the paper's exploit does.
//
// No state is kept between calls: the generations are the trials in
// creation order, n_population at a time; the random stream of a generation
// follows from the seed and the generation's first trial.

#include <algorithm>
#include <cmath>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

class Pbt : public Suggester {
public:
  Pbt(const SearchSpace& space, const Objective& objective, std::uint64_t seed, const Settings& s)
      : m_space(space), m_codec(m_space, false), m_objective(objective), m_seed(seed),
        m_population(static_cast<std::size_t>(s.n_population)), m_truncation(s.truncation_threshold),
        m_resample(s.resample_probability) {}

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    std::vector<Assignment> out;
    for (auto& p : propose(trials, count)) out.push_back(std::move(p.assignment));
    return out;
  }

  std::vector<Proposal> propose(const std::vector<Trial>& trials, int count) override {
    const std::size_t generation = trials.size() / m_population, have = trials.size() % m_population;
    const auto members = plan(trials, generation);
    std::vector<Proposal> out;
    for (std::size_t k = have; k < members.size() && static_cast<int>(out.size()) < count; ++k) out.push_back(members[k]);
    return out;
  }

  bool waiting(const std::vector<Trial>& trials) const override {
    const std::size_t whole = trials.size() / m_population;
    if (whole == 0 || trials.size() % m_population != 0) return true;
    const auto last = trials.begin() + static_cast<std::ptrdiff_t>((whole - 1) * m_population);
    return std::any_of(last, trials.end(), [](const Trial& t) { return t.state == TrialState::Running; }) ||
           !ranked(trials, whole - 1).empty();
  }

private:
  // The members of generation g with an objective, best first (ties: the earlier).
  std::vector<std::size_t> ranked(const std::vector<Trial>& trials, std::size_t g) const {
    std::vector<std::size_t> out;
    for (std::size_t k = g * m_population; k < (g + 1) * m_population; ++k)
      if (trials[k].objective && (trials[k].state == TrialState::Succeeded || trials[k].state == TrialState::EarlyStopped))
        out.push_back(k);
    std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
      return m_objective.maximize ? *trials[a].objective > *trials[b].objective : *trials[a].objective < *trials[b].objective;
    });
    return out;
  }

  // Generation g whole, or nothing while generation g-1 still runs (or had no objective at all).
  std::vector<Proposal> plan(const std::vector<Trial>& trials, std::size_t g) const {
    Rng rng = make_rng(m_seed, g * m_population, 0x9b7);
    std::vector<Proposal> out;
    if (g == 0) {
      for (std::size_t k = 0; k < m_population; ++k) out.push_back({m_codec.assignment(sample_prior(m_codec, rng)), std::nullopt, 0});
      return out;
    }
    const std::size_t first = (g - 1) * m_population;
    for (std::size_t k = first; k < first + m_population; ++k)
      if (trials[k].state == TrialState::Running) return out;
    const auto best = ranked(trials, g - 1);
    if (best.empty()) return out;
    const auto cut = static_cast<std::size_t>(std::floor(static_cast<double>(m_population) * m_truncation + 1e-9));
    const std::size_t top = std::max<std::size_t>(1, std::min(cut, best.size()));
    const std::size_t kept = best.size() > cut ? best.size() - cut : 0; // members that go on from their own checkpoint
    for (std::size_t k = first; k < first + m_population; ++k) {
      const auto at = std::find(best.begin(), best.end(), k);
      std::size_t parent = k;
      if (at == best.end() || static_cast<std::size_t>(at - best.begin()) >= kept) parent = best[rng.below(top)];
      out.push_back({explore(trials[parent].assignment, rng), parent, static_cast<int>(g)});
    }
    return out;
  }

  Assignment explore(Assignment a, Rng& rng) const {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const Parameter& p = m_space.parameters[i];
      if (m_resample) {
        if (rng.uniform() < *m_resample) a[i] = m_codec.text(i, sample_prior(m_codec, i, rng));
        continue;
      }
      const bool up = rng.uniform() < 0.5;
      if (!is_numeric(p)) {
        auto it = std::find(p.list.begin(), p.list.end(), a[i]);
        const std::size_t n = p.list.size(), k = it == p.list.end() ? 0 : static_cast<std::size_t>(it - p.list.begin());
        a[i] = p.list[up ? (k + 1) % n : (k + n - 1) % n];
        continue;
      }
      double v = parse_value(a[i]).value_or(p.min) * (up ? 1.2 : 0.8);
      if (p.type == ParameterType::Int) v = std::trunc(v);
      if (p.step && *p.step > 0) v = p.min + std::round((v - p.min) / *p.step) * *p.step;
      v = std::clamp(v, p.min, p.max);
      a[i] = p.type == ParameterType::Int ? format_int(v) : format_double(v);
    }
    return a;
  }

  SearchSpace m_space;
  Codec m_codec;
  Objective m_objective;
  std::uint64_t m_seed;
  std::size_t m_population;
  double m_truncation;
  std::optional<double> m_resample;
};

} // namespace

std::unique_ptr<Suggester> make_pbt(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                    const Settings& settings) {
  return std::make_unique<Pbt>(space, objective, seed, settings);
}

} // namespace kf::tune::detail
