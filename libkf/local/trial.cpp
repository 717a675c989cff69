// A Katib trial's object from the Experiment's template, and the metrics a
// trial reports (experiment_spec.h).
#include <cstdlib>
#include <memory>
#include <sstream>

#include <re2/re2.h>

#include "libkf/local/experiment_spec.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// Substitutes in every string of the object (keys stay as written).
void substitute(Json& j, const std::vector<std::pair<std::string, std::string>>& values) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (const auto& [from, to] : values) replace_all(s, from, to);
    j = s;
  } else if (j.is_array() || j.is_object()) {
    for (auto& v : j) substitute(v, values);
  }
}

} // namespace

Json trial_object(const ExperimentSpec& spec, const std::string& trial, const std::string& namespace_,
                  const tune::Assignment& assignment) {
  Json object = spec.trial_spec;
  const std::vector<std::pair<std::string, std::string>> meta = {
      {"${trialSpec.Name}", trial},
      {"${trialSpec.Namespace}", namespace_},
      {"${trialSpec.Kind}", json_text(object, "kind")},
      {"${trialSpec.APIVersion}", json_text(object, "apiVersion")},
  };
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& p : spec.trial_parameters) {
    std::string value = p.reference;
    for (std::size_t i = 0; i < spec.space.parameters.size(); ++i)
      if (spec.space.parameters[i].name == p.reference) value = assignment[i];
    for (const auto& [from, to] : meta) replace_all(value, from, to);
    values.emplace_back("${trialParameters." + p.name + "}", value);
  }
  substitute(object, values);
  object["metadata"]["name"] = trial;
  if (!namespace_.empty()) object["metadata"]["namespace"] = namespace_;
  object["metadata"]["labels"]["katib.kubeflow.org/experiment"] = spec.name;
  object["metadata"]["labels"]["katib.kubeflow.org/trial"] = trial;
  return object;
}

MetricsParser::MetricsParser(const CollectorSpec& collector, std::vector<std::string> wanted)
    : m_json((collector.kind == "File" && collector.file_format == "JSON") || collector.kind == "TensorFlowEvent"),
      m_wanted(std::move(wanted)) {
  if (m_json) return;
  for (const auto& f : collector.metrics_format) {
    auto re = std::make_unique<re2::RE2>(f, re2::RE2::Quiet);
    if (re->ok() && re->NumberOfCapturingGroups() >= 2) m_formats.push_back(std::move(re));
  }
}

MetricsParser::~MetricsParser() = default;
MetricsParser::MetricsParser(MetricsParser&&) noexcept = default;
MetricsParser& MetricsParser::operator=(MetricsParser&&) noexcept = default;

bool MetricsParser::keep(const std::string& name) const {
  return std::find(m_wanted.begin(), m_wanted.end(), name) != m_wanted.end();
}

namespace {

// "0.5" as a number; nullopt for anything strtod does not take whole.
std::optional<double> number(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') return std::nullopt;
  return v;
}

} // namespace

std::vector<MetricLog> MetricsParser::parse(const std::string& text) const {
  std::vector<MetricLog> out;
  std::istringstream in(text);
  std::string line;
  if (m_json) {
    while (std::getline(in, line)) {
      Json j;
      try {
        j = json::parse(line);
      } catch (const Json::exception&) { // not JSON, or a number past a double's range (out_of_range)
        continue;                          // not a metrics line
      }
      if (!j.is_object()) continue;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!keep(it.key())) continue;
        if (it.value().is_number()) out.push_back({it.key(), it.value().get<double>()});
        else if (it.value().is_string())
          if (const auto v = number(it.value().get<std::string>())) out.push_back({it.key(), *v});
      }
    }
    return out;
  }
  // Go regexps (RE2), matched as Katib's FindAllStringSubmatch does: every
  // match of the line, left to right, past an empty one by a character.
  re2::StringPiece groups[3];
  while (std::getline(in, line))
    for (const auto& re : m_formats)
      for (std::size_t at = 0; at <= line.size() && re->Match(line, at, line.size(), re2::RE2::UNANCHORED, groups, 3);) {
        const std::string name = str::trim(std::string(groups[1].data(), groups[1].size())),
                          value(groups[2].data(), groups[2].size()); // an unmatched group: "" (no data)
        if (keep(name))
          if (const auto v = number(value)) out.push_back({name, *v});
        const auto end = static_cast<std::size_t>(groups[0].data() - line.data()) + groups[0].size();
        at = groups[0].empty() ? end + 1 : end;
      }
  return out;
}

std::vector<MetricLog> parse_metrics(const CollectorSpec& collector, const std::string& text,
                                     const std::vector<std::string>& wanted) {
  return MetricsParser(collector, wanted).parse(text);
}

} // namespace kf::local
