// sobol: the Sobol sequence (Joe and Kuo's direction numbers, "new-joe-kuo-6"),
// with a random digital shift drawn from the seed, so that random_state gives
// another, equally even, sequence. Trial n takes the sequence's point n.

#include <array>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

struct Primitive {
  unsigned s, a;
  std::array<unsigned, 8> m;
};

// Dimensions 2..32 (dimension 1 is van der Corput's).
constexpr std::array<Primitive, 31> kJoeKuo = {{
    {1, 0, {1}}, {2, 1, {1, 3}}, {3, 1, {1, 3, 1}}, {3, 2, {1, 1, 1}}, {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}}, {5, 2, {1, 1, 5, 5, 17}}, {5, 4, {1, 1, 5, 5, 5}}, {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}}, {5, 13, {1, 1, 1, 3, 11}}, {5, 14, {1, 3, 5, 5, 31}}, {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}}, {6, 16, {1, 3, 1, 13, 27, 49}}, {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}}, {6, 25, {1, 1, 5, 5, 19, 61}}, {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}}, {7, 7, {1, 1, 3, 13, 7, 35, 63}}, {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}}, {7, 19, {1, 3, 1, 5, 27, 61, 31}}, {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}}, {7, 31, {1, 1, 7, 13, 1, 19, 1}}, {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}}, {7, 41, {1, 3, 5, 13, 23, 1, 55}}, {7, 42, {1, 3, 7, 3, 13, 59, 17}},
}};

using Directions = std::array<std::uint32_t, 32>;

Directions directions(std::size_t dim) {
  Directions v{};
  if (dim == 0) {
    for (unsigned k = 0; k < 32; ++k) v[k] = 1U << (31 - k);
    return v;
  }
  const Primitive& p = kJoeKuo[dim - 1];
  for (unsigned k = 0; k < 32; ++k) {
    if (k < p.s) {
      v[k] = p.m[k] << (31 - k);
      continue;
    }
    v[k] = v[k - p.s] ^ (v[k - p.s] >> p.s);
    for (unsigned l = 1; l < p.s; ++l) v[k] ^= ((p.a >> (p.s - 1 - l)) & 1U) * v[k - l];
  }
  return v;
}

class SobolSuggester : public Suggester {
public:
  SobolSuggester(SearchSpace space, std::uint64_t seed) : m_space(std::move(space)), m_codec(m_space, false) {
    Rng rng = make_rng(seed, 0, 0x50b0);
    for (std::size_t d = 0; d < m_codec.size(); ++d) {
      m_directions.push_back(directions(d));
      m_shift.push_back(static_cast<std::uint32_t>(rng.bits() >> 32));
    }
  }

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    std::vector<Assignment> out;
    for (int n = 0; n < count; ++n) out.push_back(m_codec.assignment(point(trials.size() + static_cast<std::size_t>(n))));
    return out;
  }

private:
  Point point(std::size_t index) const {
    const std::uint64_t gray = index ^ (index >> 1);
    Point x(m_codec.size());
    for (std::size_t d = 0; d < x.size(); ++d) {
      std::uint32_t bits = m_shift[d];
      for (unsigned k = 0; k < 32; ++k)
        if ((gray >> k) & 1U) bits ^= m_directions[d][k];
      const double u = (static_cast<double>(bits) + 0.5) * 0x1.0p-32;
      x[d] = m_codec.continuous(d) ? u : static_cast<double>(static_cast<std::size_t>(u * static_cast<double>(m_codec.choices(d))));
    }
    return x;
  }

  SearchSpace m_space;
  Codec m_codec;
  std::vector<Directions> m_directions;
  std::vector<std::uint32_t> m_shift;
};

} // namespace

std::unique_ptr<Suggester> make_sobol(const SearchSpace& space, std::uint64_t seed) {
  return std::make_unique<SobolSuggester>(space, seed);
}

} // namespace kf::tune::detail
