// bayesianoptimization: a Gaussian process over the unit cube (Matérn 5/2,
// one length scale per coordinate), as skopt's gp_minimize does it:
// n_initial_points random trials, then the point maximizing the acquisition
// function (EI, PI, LCB, or gp_hedge choosing among the three).
//
// The GP's hyperparameters maximize the marginal likelihood: the signal
// variance in closed form (the profile likelihood of normalized y), the
// length scales and the noise over a small grid, then coordinate sweeps.
// The acquisition is maximized over random candidates and points near the
// best trials, the best few refined by a pattern search (acq_optimizer
// "sampling" skips the refinement). Running trials and this call's earlier
// picks take the best value seen (a constant liar), so a batch spreads out.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

struct Gp {
  VectorXd scales; // length scale per coordinate
  double noise = 1e-6;
  MatrixXd x;
  Eigen::LLT<MatrixXd> llt;
  VectorXd alpha;
  double variance = 1, lml = -std::numeric_limits<double>::infinity();
};

MatrixXd kernel(const MatrixXd& a, const MatrixXd& b, const VectorXd& scales) {
  MatrixXd k(a.rows(), b.rows());
  const MatrixXd as = a.array().rowwise() / scales.transpose().array();
  const MatrixXd bs = b.array().rowwise() / scales.transpose().array();
  for (Eigen::Index j = 0; j < b.rows(); ++j) {
    const VectorXd r = ((as.rowwise() - bs.row(j)).rowwise().squaredNorm().array() + 1e-300).sqrt();
    k.col(j) = ((1 + std::sqrt(5.0) * r.array() + 5.0 / 3.0 * r.array().square()) * (-std::sqrt(5.0) * r.array()).exp()).matrix();
  }
  return k;
}

// Fits the GP at these hyperparameters; lml is -inf when K is not positive definite.
Gp fit(const MatrixXd& x, const VectorXd& y, const VectorXd& scales, double noise) {
  Gp gp{scales, noise, x, {}, {}, 1, -std::numeric_limits<double>::infinity()};
  MatrixXd k = kernel(x, x, scales);
  k.diagonal().array() += noise;
  gp.llt.compute(k);
  if (gp.llt.info() != Eigen::Success) return gp;
  gp.alpha = gp.llt.solve(y);
  const auto n = static_cast<double>(y.size());
  gp.variance = std::max(y.dot(gp.alpha) / n, 1e-12);
  const MatrixXd& l = gp.llt.matrixLLT();
  gp.lml = -0.5 * n * std::log(gp.variance) - l.diagonal().array().log().sum();
  return gp;
}

Gp fit_best(const MatrixXd& x, const VectorXd& y) {
  const auto d = x.cols();
  Gp best;
  for (double s : {0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2.0})
    for (double noise : {1e-6, 1e-4, 1e-2})
      if (Gp gp = fit(x, y, VectorXd::Constant(d, s), noise); gp.lml > best.lml) best = std::move(gp);
  for (int sweep = 0; sweep < 2 && d > 1; ++sweep)
    for (Eigen::Index i = 0; i < d; ++i)
      for (double f : {0.5, 0.7, 1.4, 2.0}) {
        VectorXd s = best.scales;
        s(i) = std::clamp(s(i) * f, 0.01, 5.0);
        if (Gp gp = fit(x, y, s, best.noise); gp.lml > best.lml) best = std::move(gp);
      }
  return best;
}

struct Prediction {
  VectorXd mean, sd;
};

Prediction predict(const Gp& gp, const MatrixXd& c) {
  const MatrixXd ks = kernel(c, gp.x, gp.scales);
  Prediction p;
  p.mean = ks * gp.alpha;
  const MatrixXd v = gp.llt.matrixL().solve(ks.transpose());
  p.sd = (gp.variance * (1.0 - v.colwise().squaredNorm().array()).max(1e-12)).sqrt().matrix();
  return p;
}

double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi); }
double cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// The acquisition (larger is better) of a minimization with best value `best`.
VectorXd acquisition(const std::string& name, const Prediction& p, double best) {
  VectorXd a(p.mean.size());
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const double mu = p.mean(i), sd = p.sd(i), imp = best - mu - 0.01, z = imp / sd;
    if (name == "EI") a(i) = imp * cdf(z) + sd * phi(z);
    else if (name == "PI") a(i) = cdf(z);
    else a(i) = -(mu - 1.96 * sd); // LCB
  }
  return a;
}

MatrixXd rows(const std::vector<Point>& pts, Eigen::Index d) {
  MatrixXd m(static_cast<Eigen::Index>(pts.size()), d);
  for (std::size_t r = 0; r < pts.size(); ++r)
    for (Eigen::Index c = 0; c < d; ++c) m(static_cast<Eigen::Index>(r), c) = pts[r][static_cast<std::size_t>(c)];
  return m;
}

struct Model {
  Gp gp;
  double best; // the best normalized observation
};

class GpSuggester : public Suggester {
public:
  GpSuggester(SearchSpace space, const Objective& objective, std::uint64_t seed, const Settings& settings)
      : m_space(std::move(space)), m_codec(m_space, true), m_objective(objective), m_seed(seed), m_settings(settings) {}

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    return suggest_after_startup(m_codec, trials, m_objective, m_seed, count, m_settings.n_initial_points,
                                 [&](const History& h, const std::vector<Assignment>&, Rng& rng) {
                                   return m_codec.assignment(next_point(h, rng));
                                 });
  }
private:
  Model model(const History& h) const {
    std::vector<Point> pts = h.points;
    pts.insert(pts.end(), h.pending.begin(), h.pending.end());
    const auto d = static_cast<Eigen::Index>(m_codec.size());
    VectorXd y(static_cast<Eigen::Index>(pts.size()));
    const double lo = *std::min_element(h.losses.begin(), h.losses.end());
    for (std::size_t i = 0; i < pts.size(); ++i) y(static_cast<Eigen::Index>(i)) = i < h.losses.size() ? h.losses[i] : lo;
    const double mean = y.mean();
    const double sd = std::sqrt((y.array() - mean).square().mean());
    y = (y.array() - mean) / (sd > 0 ? sd : 1.0);
    return Model{fit_best(rows(pts, d), y), (lo - mean) / (sd > 0 ? sd : 1.0)};
  }

  std::vector<Point> candidates(const History& h, Rng& rng) const {
    std::vector<Point> c;
    for (int k = 0; k < 1000; ++k) {
      Point x(m_codec.size());
      for (auto& v : x) v = rng.uniform();
      c.push_back(m_codec.snap(x));
    }
    std::vector<std::size_t> order(h.points.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return h.losses[a] < h.losses[b]; });
    for (std::size_t r = 0; r < std::min<std::size_t>(5, order.size()); ++r)
      for (int k = 0; k < 60; ++k) {
        Point x = h.points[order[r]];
        for (auto& v : x) v = std::clamp(v + (k < 30 ? 0.02 : 0.08) * rng.normal(), 0.0, 1.0);
        c.push_back(m_codec.snap(x));
      }
    return c;
  }

  double score(const Model& m, const std::string& acq, const Point& x) const {
    return acquisition(acq, predict(m.gp, rows({x}, static_cast<Eigen::Index>(x.size()))), m.best)(0);
  }

  // Pattern search from x: each coordinate up and down, the step halving.
  Point refine(const Model& m, const std::string& acq, Point x) const {
    double best = score(m, acq, x);
    for (double step = 0.05; step > 1e-3; step /= 2) {
      for (bool moved = true; moved;) {
        moved = false;
        for (std::size_t i = 0; i < x.size(); ++i)
          for (double dir : {-1.0, 1.0}) {
            Point t = x;
            t[i] = m_codec.snap(i, std::clamp(t[i] + dir * step, 0.0, 1.0));
            if (double s = score(m, acq, t); s > best + 1e-12) best = s, x = std::move(t), moved = true;
          }
      }
    }
    return x;
  }

  Point maximize(const Model& m, const std::string& acq, const std::vector<Point>& cands, const Prediction& p) const {
    const VectorXd a = acquisition(acq, p, m.best);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(a.size()));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<Eigen::Index>(i);
    std::partial_sort(order.begin(), order.begin() + std::min<std::ptrdiff_t>(3, a.size()), order.end(),
                      [&](auto i, auto j) { return a(i) > a(j); });
    if (m_settings.acq_optimizer == "sampling") return cands[static_cast<std::size_t>(order[0])];
    Point best;
    double best_score = -std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < std::min<std::size_t>(3, order.size()); ++r) {
      Point x = refine(m, acq, cands[static_cast<std::size_t>(order[r])]);
      if (double s = score(m, acq, x); s > best_score) best_score = s, best = std::move(x);
    }
    return best;
  }

  Point next_point(const History& h, Rng& rng) const {
    const Model m = model(h);
    const std::vector<Point> cands = candidates(h, rng);
    const MatrixXd cm = rows(cands, static_cast<Eigen::Index>(m_codec.size()));
    const Prediction p = predict(m.gp, cm);
    if (m_settings.acq_func != "gp_hedge") return maximize(m, m_settings.acq_func, cands, p);
    // gp_hedge: each acquisition proposes; one is chosen with probability
    // growing with its proposal's predicted improvement (softmax of -mean).
    std::vector<Point> proposals;
    std::vector<double> gains;
    for (const char* acq : {"EI", "PI", "LCB"}) {
      proposals.push_back(maximize(m, acq, cands, p));
      gains.push_back(-predict(m.gp, rows({proposals.back()}, cm.cols())).mean(0));
    }
    const double top = *std::max_element(gains.begin(), gains.end());
    double sum = 0;
    for (auto& g : gains) sum += (g = std::exp(g - top));
    double u = rng.uniform() * sum;
    for (std::size_t k = 0; k < gains.size(); ++k)
      if ((u -= gains[k]) <= 0) return proposals[k];
    return proposals.back();
  }

  SearchSpace m_space;
  Codec m_codec;
  Objective m_objective;
  std::uint64_t m_seed;
  Settings m_settings;
};

} // namespace

std::unique_ptr<Suggester> make_gp(const SearchSpace& space, const Objective& objective, std::uint64_t seed,
                                   const Settings& settings) {
  return std::make_unique<GpSuggester>(space, objective, seed, settings);
}

} // namespace kf::tune::detail
