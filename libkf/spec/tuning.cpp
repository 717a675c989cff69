#include "libkf/spec/tuning.h"

#include <sstream>

#include "libkf/spec/fields.h"
#include "libkf/tune/suggest.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::spec {
namespace {

std::string number_text(double v) {
  std::ostringstream ss;
  ss.precision(15);
  ss << v;
  return ss.str();
}

// An Experiment path (from libkf/tune) as kf.yaml names it, and where it is.
std::pair<std::string, yaml::Loc> kf_yaml_place(const TuningSpec& t, const std::string& path) {
  static const std::string settings = "spec.algorithm.algorithmSettings", params = "spec.parameters";
  if (str::starts_with(path, settings + "[")) {
    const std::size_t i = static_cast<std::size_t>(std::stoul(path.substr(settings.size() + 1)));
    const bool name = path.size() >= 5 && path.compare(path.size() - 5, 5, ".name") == 0;
    if (i < t.algorithm_setting_locs.size())
      return {"spec.tuning.algorithm.settings." + t.algorithm_settings[i].first,
              name ? t.algorithm_setting_locs[i].first : t.algorithm_setting_locs[i].second};
    return {"spec.tuning.algorithm.settings", t.algorithm_loc};
  }
  if (str::starts_with(path, settings)) return {"spec.tuning.algorithm.settings", t.algorithm_loc};
  if (str::starts_with(path, "spec.algorithm")) return {"spec.tuning.algorithm.name", t.algorithm_loc};
  if (str::starts_with(path, params + "[")) {
    const std::size_t i = static_cast<std::size_t>(std::stoul(path.substr(params.size() + 1)));
    std::string rest = path.substr(path.find(']') + 1);
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {".feasibleSpace.", "."}, {".parameterType", ".type"}, {".list", ".values"}})
      if (const auto at = rest.find(from); at != std::string::npos) rest.replace(at, from.size(), to);
    return {"spec.tuning.parameters[" + std::to_string(i) + "]" + rest, i < t.parameters.size() ? t.parameters[i].loc : t.loc};
  }
  return {"spec.tuning.parameters", t.loc};
}

} // namespace

Json katib_parameters(const TuningSpec& t) {
  Json params = Json::array();
  for (const auto& param : t.parameters) {
    Json space = Json::object();
    if (param.type == "categorical") {
      space["list"] = param.values;
    } else {
      space["min"] = number_text(param.min.value_or(0));
      space["max"] = number_text(param.max.value_or(0));
      if (param.step) space["step"] = number_text(*param.step);
      if (param.scale == "log") space["distribution"] = "logUniform";
    }
    params.push_back({{"name", param.name}, {"parameterType", param.type}, {"feasibleSpace", space}});
  }
  return params;
}

std::vector<std::pair<std::string, std::string>> katib_algorithm_settings(const TuningSpec& t) {
  auto settings = t.algorithm_settings;
  if (t.algorithm == "pbt" && pbt_trial_dir(t).empty()) settings.emplace_back("suggestion_trial_dir", k_pbt_trial_dir);
  return settings;
}

std::string pbt_trial_dir(const TuningSpec& t) { return tune::pbt_trial_dir({t.algorithm, t.algorithm_settings}); }

void check_algorithm(const TuningSpec& t, Diagnostics& diag) {
  tune::SearchSpace space;
  try {
    space = tune::parse_space(katib_parameters(t));
    tune::check_algorithm({t.algorithm, katib_algorithm_settings(t)}, space);
  } catch (const FieldError& e) {
    const auto [path, loc] = kf_yaml_place(t, e.path());
    diag.error(loc, path, e.message());
  }
}

} // namespace kf::spec
