// cmaes: CMA-ES (Hansen's tutorial, "The CMA Evolution Strategy", 2016) over
// the Double and Int parameters in the unit cube; Discrete and Categorical
// ones are drawn from their prior, as goptuna's CMA-ES sampler does.
//
// No state is kept between calls: suggest() replays the run from the trials.
// The finished trials, in creation order, are taken a population at a time;
// each population updates the distribution from the points the trials hold
// (so a point need not come from the state that replay computes: CMA-ES
// takes injected solutions). restart_strategy ipop doubles the population at
// each restart; bipop alternates that with small populations and sigmas
// (Hansen 2009), choosing the regime that has used less of the budget.
// sigma is in units of the narrowest numeric range (default 1/6 of it).

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

struct Params { // the strategy parameters of a population size
  int lambda, mu;
  VectorXd w;
  double mueff, cc, cs, c1, cmu, damps, chin;

  Params(int n, int lam) : lambda(lam), mu(lam / 2), w(lam / 2) {
    for (int i = 0; i < mu; ++i) w(i) = std::log((lambda + 1) / 2.0) - std::log(i + 1.0);
    w /= w.sum();
    mueff = 1.0 / w.squaredNorm();
    const double dn = n;
    cc = (4 + mueff / dn) / (dn + 4 + 2 * mueff / dn);
    cs = (mueff + 2) / (dn + mueff + 5);
    c1 = 2 / ((dn + 1.3) * (dn + 1.3) + mueff);
    cmu = std::min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((dn + 2) * (dn + 2) + mueff));
    damps = 1 + 2 * std::max(0.0, std::sqrt((mueff - 1) / (dn + 1)) - 1) + cs;
    chin = std::sqrt(dn) * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn));
  }
};

struct State {
  VectorXd mean, pc, ps;
  double sigma;
  MatrixXd c, b;
  VectorXd d; // sqrt of C's eigenvalues
  int generation = 0;

  State(VectorXd m, double s)
      : mean(std::move(m)), pc(VectorXd::Zero(mean.size())), ps(VectorXd::Zero(mean.size())), sigma(s),
        c(MatrixXd::Identity(mean.size(), mean.size())), b(c), d(VectorXd::Ones(mean.size())) {}
};

// One generation: `xs` (lambda points, best first) update the state.
void update(State& s, const Params& p, const std::vector<VectorXd>& xs) {
  const auto n = s.mean.size();
  const VectorXd old = s.mean;
  VectorXd yw = VectorXd::Zero(n);
  MatrixXd rank_mu = MatrixXd::Zero(n, n);
  for (int i = 0; i < p.mu; ++i) {
    const VectorXd y = (xs[static_cast<std::size_t>(i)] - old) / s.sigma;
    yw += p.w(i) * y;
    rank_mu += p.w(i) * y * y.transpose();
  }
  s.mean = old + s.sigma * yw;
  const MatrixXd inv_sqrt = s.b * s.d.cwiseInverse().asDiagonal() * s.b.transpose();
  s.ps = (1 - p.cs) * s.ps + std::sqrt(p.cs * (2 - p.cs) * p.mueff) * inv_sqrt * yw;
  ++s.generation;
  const double hsig_lhs = s.ps.norm() / std::sqrt(1 - std::pow(1 - p.cs, 2.0 * s.generation)) / p.chin;
  const double hsig = hsig_lhs < 1.4 + 2.0 / (static_cast<double>(n) + 1) ? 1.0 : 0.0;
  s.pc = (1 - p.cc) * s.pc + hsig * std::sqrt(p.cc * (2 - p.cc) * p.mueff) * yw;
  s.c = (1 - p.c1 - p.cmu) * s.c + p.c1 * (s.pc * s.pc.transpose() + (1 - hsig) * p.cc * (2 - p.cc) * s.c) +
        p.cmu * rank_mu;
  s.sigma *= std::exp((p.cs / p.damps) * (s.ps.norm() / p.chin - 1));
  s.sigma = std::min(s.sigma, 1.0);
  s.c = 0.5 * (s.c + s.c.transpose());
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(s.c);
  s.b = eig.eigenvectors();
  s.d = eig.eigenvalues().cwiseMax(1e-20).cwiseSqrt();
}

bool converged(const State& s, const std::vector<double>& losses) {
  const auto [lo, hi] = std::minmax_element(losses.begin(), losses.end());
  return s.sigma * s.d.maxCoeff() < 1e-4 || s.d.maxCoeff() > 1e7 * s.d.minCoeff() ||
         *hi - *lo <= 1e-12 * std::max(1.0, std::abs(*lo));
}

// A run of the replay: the state, its population and how restarts went.
struct Run {
  State state;
  Params params;
  int restarts = 0, large_lambda = 0;
  long small_evals = 0, large_evals = 0;
  bool small = false;
};

class CmaesSuggester : public Suggester {
public:
  CmaesSuggester(SearchSpace space, const Objective& objective, std::uint64_t seed, const Settings& settings)
      : m_space(std::move(space)), m_codec(m_space, false), m_objective(objective), m_seed(seed), m_settings(settings) {
    double narrowest = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < m_codec.size(); ++i) {
      if (!m_codec.continuous(i)) continue;
      m_dims.push_back(i);
      const auto& p = m_space.parameters[i];
      narrowest = std::min(narrowest, is_log(p) ? std::log(p.max) - std::log(p.min) : p.max - p.min);
    }
    m_sigma0 = std::min(1.0, settings.sigma ? *settings.sigma / narrowest : 1.0 / 6.0);
    m_lambda0 = 4 + static_cast<int>(std::floor(3 * std::log(static_cast<double>(m_dims.size()))));
  }

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    const Run run = replay(history(m_codec, trials, m_objective));
    Rng rng = make_rng(m_seed, trials.size());
    std::vector<Assignment> out;
    for (int k = 0; k < count; ++k) {
      Assignment a = m_codec.assignment(sample(run.state, rng));
      for (int retry = 0; retry < 20 && busy(a, trials, out); ++retry) a = m_codec.assignment(sample(run.state, rng));
      out.push_back(std::move(a));
    }
    return out;
  }

private:
  Run fresh(int lambda, double sigma, int restarts) const {
    VectorXd mean = VectorXd::Constant(static_cast<Eigen::Index>(m_dims.size()), 0.5);
    if (restarts > 0) {
      Rng rng = make_rng(m_seed, static_cast<std::size_t>(restarts), 0xc3a5);
      for (auto& v : mean) v = rng.uniform(0.2, 0.8);
    }
    return Run{State(mean, sigma), Params(static_cast<int>(m_dims.size()), lambda), restarts, lambda, 0, 0, false};
  }

  // The next run after a restart: ipop's doubled population, or bipop's
  // small regime when it has used less of the budget than the large one.
  Run restart(const Run& r) const {
    const int k = r.restarts + 1;
    Run next = fresh(r.large_lambda * 2, m_sigma0, k);
    if (m_settings.restart_strategy == "bipop" && r.restarts > 0 && r.small_evals < r.large_evals) {
      Rng rng = make_rng(m_seed, static_cast<std::size_t>(k), 0xb1b0);
      const double u = rng.uniform();
      const double ratio = 0.5 * r.large_lambda / m_lambda0;
      const int lambda = std::max(m_lambda0, static_cast<int>(m_lambda0 * std::pow(ratio, u * u)));
      next = fresh(lambda, m_sigma0 * std::pow(10.0, -2 * rng.uniform()), k);
      next.large_lambda = r.large_lambda;
      next.small = true;
    }
    next.small_evals = r.small_evals;
    next.large_evals = r.large_evals;
    return next;
  }

  Run replay(const History& h) const {
    Run run = fresh(m_lambda0, m_sigma0, 0);
    std::vector<std::pair<double, VectorXd>> gen;
    for (std::size_t k = 0; k < h.points.size(); ++k) {
      VectorXd x(static_cast<Eigen::Index>(m_dims.size()));
      for (std::size_t j = 0; j < m_dims.size(); ++j) x(static_cast<Eigen::Index>(j)) = h.points[k][m_dims[j]];
      gen.emplace_back(h.losses[k], std::move(x));
      if (static_cast<int>(gen.size()) < run.params.lambda) continue;
      std::stable_sort(gen.begin(), gen.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<VectorXd> xs;
      std::vector<double> losses;
      for (auto& [loss, v] : gen) xs.push_back(v), losses.push_back(loss);
      update(run.state, run.params, xs);
      (run.small ? run.small_evals : run.large_evals) += run.params.lambda;
      gen.clear();
      if (m_settings.restart_strategy != "none" && converged(run.state, losses)) run = restart(run);
    }
    return run;
  }

  Point sample(const State& s, Rng& rng) const {
    Point x = sample_prior(m_codec, rng); // Discrete and Categorical: their prior
    const auto n = s.mean.size();
    VectorXd v(n);
    for (int tries = 0; tries < 100; ++tries) {
      VectorXd z(n);
      for (auto& e : z) e = rng.normal();
      v = s.mean + s.sigma * (s.b * s.d.asDiagonal() * z);
      if ((v.array() >= 0).all() && (v.array() <= 1).all()) break;
    }
    for (std::size_t j = 0; j < m_dims.size(); ++j) x[m_dims[j]] = std::clamp(v(static_cast<Eigen::Index>(j)), 0.0, 1.0);
    return m_codec.snap(x);
  }

  SearchSpace m_space;
  Codec m_codec;
  Objective m_objective;
  std::uint64_t m_seed;
  Settings m_settings;
  std::vector<std::size_t> m_dims; // the numeric coordinates
  double m_sigma0;
  int m_lambda0;
};

} // namespace

std::unique_ptr<Suggester> make_cmaes(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                      const Settings& settings) {
  return std::make_unique<CmaesSuggester>(space, objective, seed, settings);
}

} // namespace kf::tune::detail
