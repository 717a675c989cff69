// spec.parameters -> SearchSpace (Katib's ParameterSpec and its webhook's
// checks), and the encoding of a space the algorithms share (detail.h).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "libkf/tune/detail.h"
#include "libkf/util/strings.h"

namespace kf::tune {
namespace {

std::optional<double> parse_number(std::string_view text) {
  const std::string trimmed = str::trim(text);
  std::string_view s = trimmed;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A value Katib writes as a string ("0.01"); a YAML number is accepted too.
std::optional<std::string> scalar_text(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number()) return j.dump();
  return std::nullopt;
}

double number_field(const Json& fs, const std::string& key, const std::string& path, bool integer) {
  auto text = scalar_text(fs[key]);
  if (!text) throw FieldError(path, "must be a number (as a string, like \"0.01\")");
  auto v = parse_number(*text);
  if (!v) throw FieldError(path, str::quote(*text) + " is not a number");
  if (integer && *v != std::floor(*v)) throw FieldError(path, str::quote(*text) + " is not an integer (parameterType int)");
  return *v;
}

const std::map<std::string, ParameterType>& type_names() {
  static const std::map<std::string, ParameterType> names = {{"double", ParameterType::Double},
                                                             {"int", ParameterType::Int},
                                                             {"discrete", ParameterType::Discrete},
                                                             {"categorical", ParameterType::Categorical}};
  return names;
}

const std::map<std::string, Distribution>& distribution_names() {
  static const std::map<std::string, Distribution> names = {{"uniform", Distribution::Uniform},
                                                            {"logUniform", Distribution::LogUniform},
                                                            {"normal", Distribution::Normal},
                                                            {"logNormal", Distribution::LogNormal}};
  return names;
}

template <typename T> std::vector<std::string> keys(const std::map<std::string, T>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

void parse_range(Parameter& p, const Json& fs, const std::string& path) {
  const bool integer = p.type == ParameterType::Int;
  const char* type = integer ? "int" : "double";
  if (fs.contains("list") && !fs["list"].empty())
    throw FieldError(path + ".list", std::string("a list is not supported for parameterType ") + type + " (use min and max)");
  for (const char* key : {"min", "max"})
    if (!fs.contains(key) || fs[key].is_null())
      throw FieldError(path + "." + key, std::string("must be specified for parameterType ") + type);
  p.min = number_field(fs, "min", path + ".min", integer);
  p.max = number_field(fs, "max", path + ".max", integer);
  if (p.min > p.max) // equal is a fixed value (Katib's hyperband example fixes its resource so)
    throw FieldError(path + ".max", "must not be less than min (" + detail::format_double(p.min) + "), is " +
                                        detail::format_double(p.max));
  if (fs.contains("step") && !fs["step"].is_null() && scalar_text(fs["step"]) != std::string()) {
    p.step = number_field(fs, "step", path + ".step", integer);
    if (*p.step <= 0) throw FieldError(path + ".step", "must be greater than 0, is " + detail::format_double(*p.step));
  }
  if (detail::is_log(p) && p.min <= 0)
    throw FieldError(path + ".min", std::string(p.distribution == Distribution::LogUniform ? "logUniform" : "logNormal") +
                                        " needs a positive range: min must be greater than 0, is " +
                                        detail::format_double(p.min));
}

void parse_list(Parameter& p, const Json& fs, const std::string& path) {
  const char* type = p.type == ParameterType::Discrete ? "discrete" : "categorical";
  for (const char* key : {"min", "max", "step"})
    if (fs.contains(key) && !fs[key].is_null())
      throw FieldError(path + "." + key, std::string("is not supported for parameterType ") + type + " (use list)");
  if (!fs.contains("list") || !fs["list"].is_array() || fs["list"].empty())
    throw FieldError(path + ".list", std::string("must be a non-empty list for parameterType ") + type);
  for (std::size_t k = 0; k < fs["list"].size(); ++k) {
    auto text = scalar_text(fs["list"][k]);
    const std::string at = path + ".list[" + std::to_string(k) + "]";
    if (!text) throw FieldError(at, "must be a string or a number");
    if (p.type == ParameterType::Discrete && !parse_number(*text))
      throw FieldError(at, str::quote(*text) + " is not a number (parameterType discrete takes numbers; use categorical)");
    p.list.push_back(*text);
  }
}

std::string text_field(const Json& obj, const std::string& key, const std::string& path) {
  if (!obj.contains(key) || obj[key].is_null()) return "";
  if (!obj[key].is_string()) throw FieldError(path, "must be a string");
  return obj[key].get<std::string>();
}

Parameter parse_parameter(const Json& j, const std::string& path) {
  if (!j.is_object()) throw FieldError(path, "must be an object with name, parameterType and feasibleSpace");
  Parameter p;
  p.name = text_field(j, "name", path + ".name");
  if (p.name.empty()) throw FieldError(path + ".name", "must be specified");
  const std::string type = text_field(j, "parameterType", path + ".parameterType");
  auto t = type_names().find(type);
  if (t == type_names().end())
    throw FieldError(path + ".parameterType", (type.empty() ? std::string("must be specified") : "unsupported type " + str::quote(type)) +
                                                  ": one of " + str::join(keys(type_names()), ", ") +
                                                  str::did_you_mean(type, keys(type_names())));
  p.type = t->second;
  const std::string fs_path = path + ".feasibleSpace";
  if (!j.contains("feasibleSpace") || !j["feasibleSpace"].is_object() || j["feasibleSpace"].empty())
    throw FieldError(fs_path, "must be specified");
  const Json& fs = j["feasibleSpace"];
  const std::string dist = text_field(fs, "distribution", fs_path + ".distribution");
  if (!dist.empty() && dist != "unknown") {
    auto d = distribution_names().find(dist);
    if (d == distribution_names().end())
      throw FieldError(fs_path + ".distribution", "unsupported distribution " + str::quote(dist) + ": one of " +
                                                      str::join(keys(distribution_names()), ", ") +
                                                      str::did_you_mean(dist, keys(distribution_names())));
    p.distribution = d->second;
  }
  if (p.type == ParameterType::Double || p.type == ParameterType::Int) parse_range(p, fs, fs_path);
  else parse_list(p, fs, fs_path);
  return p;
}

} // namespace

SearchSpace parse_space(const Json& parameters) {
  if (!parameters.is_array() || parameters.empty())
    throw FieldError("spec.parameters", "must be a non-empty list of parameters");
  SearchSpace space;
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const std::string path = "spec.parameters[" + std::to_string(i) + "]";
    Parameter p = parse_parameter(parameters[i], path);
    auto [it, fresh] = seen.emplace(p.name, i);
    if (!fresh)
      throw FieldError(path + ".name", "duplicate parameter name " + str::quote(p.name) + " (also spec.parameters[" +
                                           std::to_string(it->second) + "])");
    space.parameters.push_back(std::move(p));
  }
  return space;
}

namespace detail {

std::optional<double> parse_value(std::string_view s) { return parse_number(s); }

} // namespace detail
} // namespace kf::tune
