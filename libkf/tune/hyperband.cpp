// hyperband (Li et al., JMLR 2018) with Katib's settings: r_l, the largest
// resource a trial gets (epochs, steps); eta, the halving rate (3); and
// resource_name, the parameter that carries a trial's resource. With
// s_max = floor(log_eta(r_l)), bracket s (s_max down to 0) starts
// n = ceil((s_max+1) * eta^s / (s+1)) random configurations with resource
// r_l * eta^-s; each next rung of the bracket runs the best ceil(n_i / eta)
// of the last one with eta times the resource (successive halving), up to
// r_l. The experiment ends after the last bracket.
//
// Where kf differs from Katib's hyperband service:
// - A bracket's first rung has n trials as above. Katib's service starts as
//   many as the controller asks for at once, which is why it requires
//   parallelTrialCount >= eta^s_max; kf creates a rung over as many passes as
//   parallelTrialCount needs and waits at each rung's end (waiting()).
// - A trial that failed, was stopped early or reported no objective is not
//   promoted (Katib's service gives up when the last rung has one); a rung
//   with none to promote ends its bracket.
// - The resource of an int parameter is at least 1 (Katib writes int(r),
//   which is 0 below 1).
//
// No state is kept between calls: the schedule is replayed over the trials
// in creation order, so a resumed experiment carries on where it stopped.

#include <algorithm>
#include <cmath>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

// ceil/floor of a quotient that should be whole, kept from log/pow rounding.
std::size_t ceil_of(double v) { return static_cast<std::size_t>(std::ceil(v - 1e-9)); }

// Where the schedule stands after the trials so far.
struct Cursor {
  enum What { Propose, Wait, End } what = End;
  std::size_t start = 0;            // the rung's first trial
  std::size_t size = 0;             // the rung's trials
  double resource = 0;              // each one's resource
  std::vector<std::size_t> ranked;  // rung > 0: the last rung's promotable trials, best first
};

class Hyperband : public Suggester {
public:
  Hyperband(const SearchSpace& space, const Objective& objective, std::uint64_t seed, const Settings& s)
      : m_space(space), m_codec(m_space, false), m_objective(objective), m_seed(seed), m_r_l(s.r_l), m_eta(s.eta),
        m_resource(s.resource) {
    const double levels = std::floor(std::log(m_r_l) / std::log(m_eta) + 1e-9);
    m_s_max = levels > 0 ? static_cast<int>(levels) : 0;
  }

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    const Cursor c = locate(trials);
    std::vector<Assignment> out;
    if (c.what != Cursor::Propose) return out;
    Rng rng = make_rng(m_seed, trials.size());
    for (std::size_t k = trials.size() - c.start; k < c.size && static_cast<int>(out.size()) < count; ++k) {
      Assignment a = c.ranked.empty() ? m_codec.assignment(sample_prior(m_codec, rng)) : trials[c.ranked[k]].assignment;
      a[m_resource] = resource_text(c.resource);
      out.push_back(std::move(a));
    }
    return out;
  }

  bool waiting(const std::vector<Trial>& trials) const override { return locate(trials).what != Cursor::End; }

private:
  std::string resource_text(double r) const {
    if (m_space.parameters[m_resource].type == ParameterType::Int)
      return format_int(std::max(1.0, std::floor(r + 1e-9)));
    return format_double(r);
  }

  bool better(const Trial& a, const Trial& b) const {
    return m_objective.maximize ? *a.objective > *b.objective : *a.objective < *b.objective;
  }

  // The trials of [start, start + size) that may go on, best first (ties: the earlier).
  std::vector<std::size_t> promotable(const std::vector<Trial>& trials, std::size_t start, std::size_t size) const {
    std::vector<std::size_t> out;
    for (std::size_t k = start; k < start + size; ++k)
      if (trials[k].state == TrialState::Succeeded && trials[k].objective) out.push_back(k);
    std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) { return better(trials[a], trials[b]); });
    return out;
  }

  Cursor locate(const std::vector<Trial>& trials) const {
    std::size_t pos = 0;
    for (int s = m_s_max; s >= 0; --s) {
      const double r = m_r_l * std::pow(m_eta, -s);
      std::size_t size = ceil_of(static_cast<double>(m_s_max + 1) * std::pow(m_eta, s) / (s + 1));
      std::size_t last = 0; // the last rung's first trial
      for (int i = 0; i <= s; ++i) {
        std::vector<std::size_t> ranked;
        if (i > 0) {
          for (std::size_t k = last; k < last + size; ++k)
            if (trials[k].state == TrialState::Running) return {Cursor::Wait, pos, 0, 0, {}};
          ranked = promotable(trials, last, size);
          size = std::min(ceil_of(static_cast<double>(size) / m_eta), ranked.size());
          if (size == 0) break;
        }
        if (trials.size() < pos + size) return {Cursor::Propose, pos, size, r * std::pow(m_eta, i), std::move(ranked)};
        last = pos;
        pos += size;
      }
    }
    return {};
  }

  SearchSpace m_space;
  Codec m_codec;
  Objective m_objective;
  std::uint64_t m_seed;
  double m_r_l, m_eta;
  std::size_t m_resource;
  int m_s_max = 0;
};

} // namespace

std::unique_ptr<Suggester> make_hyperband(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                          const Settings& settings) {
  return std::make_unique<Hyperband>(space, objective, seed, settings);
}

} // namespace kf::tune::detail
