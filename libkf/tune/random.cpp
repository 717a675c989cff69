// random: each parameter drawn from its prior (detail::sample_prior), like
// hyperopt's rand.suggest over Katib's space.

#include "libkf/tune/detail.h"

namespace kf::tune::detail {
namespace {

class RandomSuggester : public Suggester {
public:
  RandomSuggester(SearchSpace space, std::uint64_t seed) : m_space(std::move(space)), m_codec(m_space, false), m_seed(seed) {}

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    Rng rng = make_rng(m_seed, trials.size());
    std::vector<Assignment> out;
    for (int n = 0; n < count; ++n) {
      Assignment a = m_codec.assignment(sample_prior(m_codec, rng));
      for (int retry = 0; retry < 20 && busy(a, trials, out); ++retry) a = m_codec.assignment(sample_prior(m_codec, rng));
      out.push_back(std::move(a));
    }
    return out;
  }

private:
  SearchSpace m_space;
  Codec m_codec;
  std::uint64_t m_seed;
};

} // namespace

std::unique_ptr<Suggester> make_random(const SearchSpace& space, std::uint64_t seed) {
  return std::make_unique<RandomSuggester>(space, seed);
}

} // namespace kf::tune::detail
