#pragma once
// Rng: a small deterministic random generator (SplitMix64). Unlike the
// std:: distributions its output is the same on every standard library, so
// a seed fixes weights, shuffles and synthetic data everywhere.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>
#include <vector>

namespace kf::trainer {

class Rng {
public:
  explicit Rng(std::uint64_t seed) : m_state(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(uniform()); }
  // Standard normal (Box-Muller).
  float normal() {
    double u1 = uniform();
    double u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

private:
  std::uint64_t m_state;
};

// Mixes several values into one seed (for per-epoch / per-layer streams).
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  Rng r(a * 0x100000001b3ULL ^ (b + 0x9e3779b97f4a7c15ULL));
  r.next();
  return r.next();
}

} // namespace kf::trainer
