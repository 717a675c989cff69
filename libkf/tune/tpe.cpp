// tpe and multivariate-tpe: the Tree-structured Parzen Estimator (Bergstra et
// al. 2011; Optuna's TPESampler is the reference for the details). The
// observations are split into the best ("below") and the rest ("above"); a
// Parzen estimator l(x) is fitted to the first, g(x) to the second, both with
// the prior as one more component; n_ei_candidates points are drawn from l and
// the one with the largest l(x)/g(x) is proposed.
//
// tpe models each parameter on its own (a mixture per coordinate, each
// coordinate drawn on its own); multivariate-tpe models them jointly (one
// component per observation across all coordinates, Scott's bandwidth).
// Running trials and this call's earlier picks count as "above" (Optuna's
// constant liar), so a batch spreads out.

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// A normal truncated to [0, 1]. `weighted`: its density times sigma (Settings::bandwidth_weighted).
struct Kernel {
  double mu, sigma, log_norm; // log_norm: log(sigma * mass in [0, 1]), or log(mass) when weighted

  Kernel(double m, double s, bool weighted) : mu(m), sigma(s) {
    const double mass = std::max(normal_cdf((1 - mu) / sigma) - normal_cdf(-mu / sigma), 1e-300);
    log_norm = std::log(weighted ? mass : sigma * mass);
  }
  double log_pdf(double x) const {
    const double z = (x - mu) / sigma;
    return -0.5 * z * z - 0.5 * std::log(2 * std::numbers::pi) - log_norm;
  }
  double sample(Rng& rng) const {
    for (int tries = 0; tries < 100; ++tries) {
      const double x = mu + sigma * rng.normal();
      if (x >= 0 && x <= 1) return x;
    }
    return std::clamp(mu, 0.0, 1.0);
  }
};

// One mixture component per observation, plus the prior (the last one).
struct Parzen {
  std::vector<double> log_w;                           // per component
  std::vector<std::vector<Kernel>> kernels;            // [component][continuous coordinate]
  std::vector<std::vector<std::vector<double>>> probs; // [component][coordinate] list probabilities (log)
};

std::vector<double> weights(std::size_t n, double prior_weight) {
  // Optuna's default_weights: older observations fade once there are 25.
  std::vector<double> w(n, 1.0);
  if (n > 26) // numpy.linspace(1 / n, 1, n - 25) over the oldest n - 25
    for (std::size_t i = 0; i + 25 < n; ++i) w[i] = 1.0 / static_cast<double>(n) + static_cast<double>(i) * (1.0 - 1.0 / static_cast<double>(n)) / static_cast<double>(n - 26);
  else if (n == 26)
    w[0] = 1.0 / 26.0;
  w.push_back(prior_weight);
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  for (auto& x : w) x = std::log(x / sum);
  return w;
}

// Bandwidths of one coordinate (observations in order): the larger gap to a
// neighbour (the prior's mean among them; the range's ends are not), clipped
// to [1 / min(100, n + 2), 1]. multivariate-tpe uses them too: Scott's rule
// (Optuna's) left it stuck near a minimum on Branin in 4 of 20 seeds.
std::vector<double> sigmas(const std::vector<double>& mus) {
  const std::size_t n = mus.size();
  std::vector<double> out(n);
  const double min_sigma = 1.0 / std::min(100.0, static_cast<double>(n) + 2.0);
  std::vector<double> all = mus;
  all.push_back(0.5); // the prior's mean is a neighbour too
  std::vector<std::size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return all[a] < all[b]; });
  for (std::size_t r = 0; r < order.size(); ++r) {
    if (order[r] == n) continue;
    const double left = r > 0 ? all[order[r]] - all[order[r - 1]] : 0;
    const double right = r + 1 < order.size() ? all[order[r + 1]] - all[order[r]] : 0;
    out[order[r]] = std::max(left, right);
  }
  for (auto& s : out) s = std::clamp(s, min_sigma, 1.0);
  return out;
}

Parzen fit(const Codec& codec, const std::vector<Point>& obs, double prior_weight, bool weighted) {
  Parzen pz;
  pz.log_w = weights(obs.size(), prior_weight);
  pz.kernels.resize(obs.size() + 1);
  pz.probs.resize(obs.size() + 1);
  for (std::size_t d = 0; d < codec.size(); ++d) {
    if (!codec.continuous(d)) {
      const std::size_t k = codec.choices(d);
      for (std::size_t c = 0; c <= obs.size(); ++c) {
        std::vector<double> p(k, c < obs.size() ? prior_weight / static_cast<double>(k) : 1.0);
        if (c < obs.size()) p[static_cast<std::size_t>(obs[c][d])] += 1.0;
        const double sum = std::accumulate(p.begin(), p.end(), 0.0);
        for (auto& x : p) x = std::log(x / sum);
        pz.probs[c].push_back(std::move(p));
      }
      continue;
    }
    std::vector<double> mus;
    for (const auto& x : obs) mus.push_back(x[d]);
    const auto s = sigmas(mus);
    for (std::size_t c = 0; c < obs.size(); ++c) pz.kernels[c].emplace_back(mus[c], s[c], weighted);
    pz.kernels[obs.size()].emplace_back(0.5, 1.0, weighted);
  }
  return pz;
}

double log_sum_exp(const std::vector<double>& v) {
  const double m = *std::max_element(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += std::exp(x - m);
  return m + std::log(sum);
}

// log of each component's density at x over the coordinates in `dims`
// (continuous coordinates counted in order).
double component_log_pdf(const Codec& codec, const Parzen& pz, std::size_t c, const Point& x, std::size_t only) {
  double lp = 0;
  for (std::size_t d = 0, kc = 0, kl = 0; d < codec.size(); ++d) {
    const bool cont = codec.continuous(d);
    if (only == d || only == codec.size())
      lp += cont ? pz.kernels[c][kc].log_pdf(x[d]) : pz.probs[c][kl][static_cast<std::size_t>(x[d])];
    (cont ? kc : kl)++;
  }
  return lp;
}

double log_pdf(const Codec& codec, const Parzen& pz, const Point& x, bool joint) {
  std::vector<double> terms(pz.log_w.size());
  if (joint) {
    for (std::size_t c = 0; c < terms.size(); ++c) terms[c] = pz.log_w[c] + component_log_pdf(codec, pz, c, x, codec.size());
    return log_sum_exp(terms);
  }
  double total = 0;
  for (std::size_t d = 0; d < codec.size(); ++d) {
    for (std::size_t c = 0; c < terms.size(); ++c) terms[c] = pz.log_w[c] + component_log_pdf(codec, pz, c, x, d);
    total += log_sum_exp(terms);
  }
  return total;
}

std::size_t pick_component(const Parzen& pz, Rng& rng) {
  double u = rng.uniform(), acc = 0;
  for (std::size_t c = 0; c < pz.log_w.size(); ++c)
    if ((acc += std::exp(pz.log_w[c])) > u) return c;
  return pz.log_w.size() - 1;
}

Point sample(const Codec& codec, const Parzen& pz, Rng& rng, bool joint) {
  Point x(codec.size());
  std::size_t c = pick_component(pz, rng);
  for (std::size_t d = 0, kc = 0, kl = 0; d < codec.size(); ++d) {
    if (!joint) c = pick_component(pz, rng);
    if (codec.continuous(d)) {
      x[d] = pz.kernels[c][kc++].sample(rng);
      continue;
    }
    double u = rng.uniform(), acc = 0;
    const auto& p = pz.probs[c][kl++];
    std::size_t k = 0;
    while (k + 1 < p.size() && (acc += std::exp(p[k])) <= u) ++k;
    x[d] = static_cast<double>(k);
  }
  return codec.snap(x);
}

class TpeSuggester : public Suggester {
public:
  TpeSuggester(SearchSpace space, const Objective& objective, std::uint64_t seed, const Settings& settings, bool joint)
      : m_space(std::move(space)), m_codec(m_space, false), m_objective(objective), m_seed(seed), m_settings(settings),
        m_joint(joint) {}

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    return suggest_after_startup(m_codec, trials, m_objective, m_seed, count, m_settings.n_startup_trials,
                                 [&](const History& h, const std::vector<Assignment>& out, Rng& rng) {
                                   return next_assignment(h, trials, out, rng);
                                 });
  }
private:
  std::size_t n_below(std::size_t n) const {
    const double b = m_settings.gamma ? std::ceil(*m_settings.gamma * std::sqrt(static_cast<double>(n)))
                                      : std::min(std::ceil(0.1 * static_cast<double>(n)), 25.0);
    return std::clamp(static_cast<std::size_t>(b), std::size_t{1}, n);
  }

  Assignment next_assignment(const History& h, const std::vector<Trial>& trials, const std::vector<Assignment>& out, Rng& rng) const {
    std::vector<std::size_t> order(h.points.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return h.losses[a] < h.losses[b]; });
    const std::size_t nb = n_below(h.points.size());
    std::vector<bool> is_below(h.points.size(), false);
    for (std::size_t r = 0; r < nb; ++r) is_below[order[r]] = true;
    std::vector<Point> below, above; // in creation order (the weights fade the oldest)
    for (std::size_t k = 0; k < h.points.size(); ++k) (is_below[k] ? below : above).push_back(h.points[k]);
    above.insert(above.end(), h.pending.begin(), h.pending.end());
    const Parzen l = fit(m_codec, below, m_settings.prior_weight, m_settings.bandwidth_weighted);
    const Parzen g = fit(m_codec, above, m_settings.prior_weight, m_settings.bandwidth_weighted);
    std::vector<std::pair<double, Point>> scored;
    for (int k = 0; k < m_settings.n_ei_candidates; ++k) {
      Point x = sample(m_codec, l, rng, m_joint);
      scored.emplace_back(m_joint ? log_pdf(m_codec, l, x, true) - log_pdf(m_codec, g, x, true) : 0.0, std::move(x));
    }
    if (!m_joint) scored = best_per_coordinate(l, g, scored);
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [score, x] : scored)
      if (Assignment a = m_codec.assignment(x); !busy(a, trials, out)) return a;
    return m_codec.assignment(scored.front().second);
  }

  // tpe: each coordinate on its own takes the candidate value with the best
  // l/g of that coordinate (the candidates' other picks follow as fallbacks).
  std::vector<std::pair<double, Point>> best_per_coordinate(const Parzen& l, const Parzen& g,
                                                            const std::vector<std::pair<double, Point>>& cands) const {
    std::vector<std::vector<std::pair<double, double>>> per(m_codec.size()); // [coordinate] (score, value)
    std::vector<double> terms(l.log_w.size()), terms_g(g.log_w.size());
    for (std::size_t d = 0; d < m_codec.size(); ++d) {
      for (const auto& [unused, x] : cands) {
        for (std::size_t c = 0; c < terms.size(); ++c) terms[c] = l.log_w[c] + component_log_pdf(m_codec, l, c, x, d);
        for (std::size_t c = 0; c < terms_g.size(); ++c) terms_g[c] = g.log_w[c] + component_log_pdf(m_codec, g, c, x, d);
        per[d].emplace_back(log_sum_exp(terms) - log_sum_exp(terms_g), x[d]);
      }
      std::stable_sort(per[d].begin(), per[d].end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    }
    std::vector<std::pair<double, Point>> out;
    for (std::size_t r = 0; r < cands.size(); ++r) {
      Point x(m_codec.size());
      double score = 0;
      for (std::size_t d = 0; d < x.size(); ++d) x[d] = per[d][r].second, score += per[d][r].first;
      out.emplace_back(score, std::move(x));
    }
    return out;
  }

  SearchSpace m_space;
  Codec m_codec;
  Objective m_objective;
  std::uint64_t m_seed;
  Settings m_settings;
  bool m_joint;
};

} // namespace

std::unique_ptr<Suggester> make_tpe(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                    const Settings& settings, bool multivariate) {
  return std::make_unique<TpeSuggester>(space, objective, seed, settings, multivariate);
}

} // namespace kf::tune::detail
