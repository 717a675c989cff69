// The unit-cube encoding of a search space, the random stream, Katib's value
// text and the trials as observations (detail.h).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Whole steps between min and max (a step that does not divide the range
// stops at the last value not above max, like numpy.arange in Katib's grid).
double last_step(const Parameter& p) { return std::floor((p.max - p.min) / *p.step + 1e-9); }

} // namespace

double Rng::normal() {
  const double u1 = 1.0 - uniform(); // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Rng make_rng(std::uint64_t seed, std::size_t n_trials, std::uint64_t salt) {
  return Rng(splitmix(splitmix(seed) ^ splitmix(0x5851f42d4c957f2dULL * (n_trials + 1)) ^ splitmix(~salt)));
}

bool is_numeric(const Parameter& p) { return p.type == ParameterType::Double || p.type == ParameterType::Int; }

bool is_log(const Parameter& p) {
  return is_numeric(p) && (p.distribution == Distribution::LogUniform || p.distribution == Distribution::LogNormal);
}

std::vector<double> discrete_values(const Parameter& p) {
  std::vector<double> out;
  for (const auto& e : p.list) out.push_back(parse_value(e).value_or(0));
  std::sort(out.begin(), out.end());
  return out;
}

std::string format_double(double v) {
  if (v == 0) return "0"; // and -0
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string format_int(double v) { return std::to_string(std::llround(v)); }

Codec::Codec(const SearchSpace& space, bool discrete_numeric)
    : m_space(space), m_discrete_numeric(discrete_numeric), m_sorted(space.parameters.size()) {
  for (std::size_t i = 0; i < size(); ++i) {
    const Parameter& p = space.parameters[i];
    if (p.type != ParameterType::Discrete || !discrete_numeric) continue;
    for (std::size_t k = 0; k < p.list.size(); ++k) m_sorted[i].emplace_back(parse_value(p.list[k]).value_or(0), k);
    std::sort(m_sorted[i].begin(), m_sorted[i].end());
  }
}

bool Codec::continuous(std::size_t i) const {
  const Parameter& p = m_space.parameters[i];
  return is_numeric(p) || (m_discrete_numeric && p.type == ParameterType::Discrete);
}

std::size_t Codec::choices(std::size_t i) const { return m_space.parameters[i].list.size(); }

double Codec::value(std::size_t i, double u) const {
  const Parameter& p = m_space.parameters[i];
  u = std::clamp(u, 0.0, 1.0);
  double v = is_log(p) ? std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min))) : p.min + u * (p.max - p.min);
  if (p.step) {
    const double k = std::clamp(std::round((v - p.min) / *p.step), 0.0, last_step(p));
    v = p.min + k * *p.step;
    if (p.type == ParameterType::Double) { // 0.1 * 3 is 0.30000000000000004: keep 12 digits
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.12g", v);
      v = std::strtod(buf, nullptr);
    }
  } else if (p.type == ParameterType::Int) {
    v = std::round(v);
  }
  return std::clamp(v, p.min, p.max);
}

double Codec::encode(std::size_t i, double v) const {
  const Parameter& p = m_space.parameters[i];
  if (p.max == p.min) return 0; // a fixed value
  if (is_log(p)) return (std::log(v) - std::log(p.min)) / (std::log(p.max) - std::log(p.min));
  return (v - p.min) / (p.max - p.min);
}

std::size_t Codec::nearest_entry(std::size_t i, double u) const {
  const auto& sorted = m_sorted[i];
  const double lo = sorted.front().first, hi = sorted.back().first;
  const double v = lo + std::clamp(u, 0.0, 1.0) * (hi - lo);
  std::size_t best = 0;
  for (std::size_t k = 1; k < sorted.size(); ++k)
    if (std::abs(sorted[k].first - v) < std::abs(sorted[best].first - v)) best = k;
  return best;
}

double Codec::snap(std::size_t i, double u) const {
  const Parameter& p = m_space.parameters[i];
  if (is_numeric(p)) return encode(i, value(i, u));
  if (!continuous(i)) return std::clamp(std::round(u), 0.0, static_cast<double>(p.list.size() - 1));
  const auto& sorted = m_sorted[i];
  const double lo = sorted.front().first, hi = sorted.back().first;
  return hi > lo ? (sorted[nearest_entry(i, u)].first - lo) / (hi - lo) : 0.0;
}

Point Codec::snap(Point x) const {
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = snap(i, x[i]);
  return x;
}

std::string Codec::text(std::size_t i, double u) const {
  const Parameter& p = m_space.parameters[i];
  if (p.type == ParameterType::Int) return format_int(value(i, u));
  if (p.type == ParameterType::Double) return format_double(value(i, u));
  if (continuous(i)) return p.list[m_sorted[i][nearest_entry(i, u)].second];
  return p.list[static_cast<std::size_t>(snap(i, u))];
}

Assignment Codec::assignment(const Point& x) const {
  Assignment a;
  for (std::size_t i = 0; i < x.size(); ++i) a.push_back(text(i, x[i]));
  return a;
}

std::optional<Point> Codec::point(const Assignment& a) const {
  if (a.size() != size()) return std::nullopt;
  Point x(size());
  for (std::size_t i = 0; i < size(); ++i) {
    const Parameter& p = m_space.parameters[i];
    if (is_numeric(p)) {
      auto v = parse_value(a[i]);
      if (!v || *v < p.min - 1e-9 * (p.max - p.min) || *v > p.max + 1e-9 * (p.max - p.min)) return std::nullopt;
      x[i] = std::clamp(encode(i, *v), 0.0, 1.0);
      continue;
    }
    auto it = std::find(p.list.begin(), p.list.end(), a[i]);
    if (it == p.list.end()) return std::nullopt;
    x[i] = entry(i, static_cast<std::size_t>(it - p.list.begin()));
  }
  return x;
}

double Codec::entry(std::size_t i, std::size_t k) const {
  if (!continuous(i)) return static_cast<double>(k);
  const auto& sorted = m_sorted[i];
  const double v = parse_value(m_space.parameters[i].list[k]).value_or(0), lo = sorted.front().first,
               hi = sorted.back().first;
  return hi > lo ? (v - lo) / (hi - lo) : 0.0;
}

double sample_prior(const Codec& codec, std::size_t i, Rng& rng) {
  const Parameter& p = codec.space().parameters[i];
  if (!is_numeric(p)) return codec.entry(i, rng.below(p.list.size()));
  if (p.distribution == Distribution::Normal || p.distribution == Distribution::LogNormal)
    return codec.snap(i, std::clamp(0.5 + rng.normal() / 6.0, 0.0, 1.0));
  return codec.snap(i, rng.uniform());
}

Point sample_prior(const Codec& codec, Rng& rng) {
  Point x(codec.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = sample_prior(codec, i, rng);
  return x;
}

History history(const Codec& codec, const std::vector<Trial>& trials, const Objective& objective) {
  History h;
  for (const auto& t : trials) {
    if (t.state != TrialState::Running && t.state != TrialState::Succeeded) continue;
    auto x = codec.point(t.assignment);
    if (!x) continue;
    if (t.state == TrialState::Running) {
      h.pending.push_back(*x);
    } else if (t.objective && std::isfinite(*t.objective)) {
      h.points.push_back(*x);
      h.losses.push_back(objective.maximize ? -*t.objective : *t.objective);
    }
  }
  return h;
}

bool busy(const Assignment& a, const std::vector<Trial>& trials, const std::vector<Assignment>& picked) {
  if (std::find(picked.begin(), picked.end(), a) != picked.end()) return true;
  return std::any_of(trials.begin(), trials.end(),
                     [&](const Trial& t) { return t.state == TrialState::Running && t.assignment == a; });
}

std::vector<Assignment> suggest_after_startup(const Codec& codec, const std::vector<Trial>& trials,
                                              const Objective& objective, std::uint64_t seed, int count, int startup,
                                              const NextAssignment& next) {
  Rng rng = make_rng(seed, trials.size());
  History h = history(codec, trials, objective);
  std::vector<Assignment> out;
  for (int n = 0; n < count; ++n) {
    Assignment a;
    if (h.points.size() < static_cast<std::size_t>(std::max(1, startup))) {
      a = codec.assignment(sample_prior(codec, rng));
      for (int retry = 0; retry < 20 && busy(a, trials, out); ++retry) a = codec.assignment(sample_prior(codec, rng));
    } else {
      a = next(h, out, rng);
    }
    if (auto x = codec.point(a)) h.pending.push_back(*x);
    out.push_back(std::move(a));
  }
  return out;
}

} // namespace kf::tune::detail
