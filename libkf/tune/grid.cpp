// grid: every combination of the parameters' values, in the order of
// itertools.product over Katib's combinations (the last parameter varies
// fastest), skipping those a trial already has; none once all are taken.

#include <set>

#include "libkf/tune/detail.h"

namespace kf::tune::detail {

std::optional<std::vector<std::string>> grid_values(const Parameter& p) {
  if (!is_numeric(p)) return p.list;
  if (p.max == p.min) return std::vector<std::string>{p.type == ParameterType::Int ? format_int(p.min) : format_double(p.min)};
  if (p.type == ParameterType::Double && !p.step) return std::nullopt;
  const double step = p.step.value_or(1);
  const SearchSpace one{{Parameter{p.name, p.type, p.min, p.max, step, {}, Distribution::Uniform}}};
  const Codec codec(one, false);
  std::vector<std::string> out;
  const auto n = static_cast<long long>((p.max - p.min) / step + 1e-9);
  for (long long k = 0; k <= n; ++k) out.push_back(codec.text(0, static_cast<double>(k) * step / (p.max - p.min)));
  return out;
}

namespace {

class GridSuggester : public Suggester {
public:
  explicit GridSuggester(const SearchSpace& space) {
    for (const auto& p : space.parameters) m_values.push_back(grid_values(p).value_or(std::vector<std::string>{}));
  }

  std::vector<Assignment> suggest(const std::vector<Trial>& trials, int count) override {
    std::set<Assignment> taken;
    for (const auto& t : trials) taken.insert(t.assignment);
    std::vector<Assignment> out;
    std::vector<std::size_t> index(m_values.size(), 0);
    for (bool more = !m_values.empty(); more && static_cast<int>(out.size()) < count; more = next(index)) {
      Assignment a;
      for (std::size_t i = 0; i < index.size(); ++i) a.push_back(m_values[i][index[i]]);
      if (taken.insert(a).second) out.push_back(std::move(a));
    }
    return out;
  }

private:
  // The next combination (odometer, last parameter fastest); false after the last.
  bool next(std::vector<std::size_t>& index) const {
    for (std::size_t i = index.size(); i-- > 0;) {
      if (++index[i] < m_values[i].size()) return true;
      index[i] = 0;
    }
    return false;
  }

  std::vector<std::vector<std::string>> m_values;
};

} // namespace

std::unique_ptr<Suggester> make_grid(const SearchSpace& space) { return std::make_unique<GridSuggester>(space); }

} // namespace kf::tune::detail
