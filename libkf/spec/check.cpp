#include "libkf/spec/check.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string_view>
#include <set>

#include "libkf/spec/tuning.h"
#include "libkf/util/strings.h"

namespace kf::spec {
namespace {

std::string num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

void check_training(const TrainingSpec& t, Diagnostics& diag) {
  const bool text_model = t.model.type == "embeddingbag" || t.model.type == "transformer";
  if (t.command.empty() && text_model != (t.data.format == "text"))
    diag.error(t.model_type_loc, "spec.training.model.type",
               text_model ? "model \"" + t.model.type + "\" reads text: set training.data.format to \"text\""
                          : "model \"" + t.model.type + "\" takes images, but training.data.format is \"text\": use \"transformer\" or \"embeddingbag\"");
  if (t.parameter_servers > 0 && t.framework != "tensorflow")
    diag.error(t.loc, "spec.training.parameterServers", "parameter servers need framework \"tensorflow\"");
  if (t.operator_version == "v2" && t.framework != "pytorch")
    diag.error(t.loc, "spec.training.operator",
               "operator v2 (Kubeflow Trainer's TrainJob) runs framework \"pytorch\"; " + t.framework + " needs operator v1");
  if (t.operator_version == "v2" && t.restart_policy != "OnFailure" && t.restart_policy != "Never")
    diag.error(t.loc, "spec.training.restartPolicy",
               "operator v2 runs the nodes as a JobSet's Jobs, whose pods restart OnFailure or Never, not " + t.restart_policy);
}

void check_parameter(const ParameterSpec& p, const std::string& path, Diagnostics& diag) {
  if (p.type == "categorical") {
    if (p.values.empty()) diag.error(p.loc, path + ".values", "a categorical parameter needs at least one value");
    if (p.min || p.max) diag.error(p.loc, path, "a categorical parameter takes values, not min/max");
    std::set<std::string> seen;
    for (const auto& v : p.values)
      if (!seen.insert(v).second) diag.error(p.loc, path + ".values", "duplicate value " + str::quote(v));
    return;
  }
  if (!p.values.empty()) diag.error(p.loc, path + ".values", "only a categorical parameter takes values");
  if (!p.min) diag.error(p.loc, path + ".min", "required field is missing");
  if (!p.max) diag.error(p.loc, path + ".max", "required field is missing");
  if (!p.min || !p.max) return;
  if (p.type == "int") {
    if (std::floor(*p.min) != *p.min) diag.error(p.min_loc, path + ".min", "must be an integer for an int parameter");
    if (std::floor(*p.max) != *p.max) diag.error(p.max_loc, path + ".max", "must be an integer for an int parameter");
  }
  if (*p.min >= *p.max)
    diag.error(p.max_loc, path + ".max", "must be greater than min (" + num(*p.min) + "), got " + num(*p.max));
  if (p.scale == "log" && *p.min <= 0)
    diag.error(p.min_loc, path + ".min", "a log-scale range must be positive, got " + num(*p.min));
  if (p.step && *p.step <= 0) diag.error(p.loc, path + ".step", "must be positive, got " + num(*p.step));
}

// A tuned parameter of kf's trainer names one of its flags, and each value
// the search may pick is one the flag takes: a categorical parameter's values,
// an int range of a number flag (a count's from 0), a double range only of a
// number flag.
void check_tuned_flag(const ParameterSpec& p, const std::string& path, Diagnostics& diag) {
  const contract::TrainerFlag* flag = contract::find_trainer_flag(p.name);
  if (!flag) {
    diag.error(p.name_loc, path + ".name", not_a_trainer_flag(p.name));
    return;
  }
  using contract::FlagValue;
  const std::string takes = "--" + p.name + " takes " + contract::flag_takes(*flag);
  if (p.type == "categorical") {
    for (std::size_t k = 0; k < p.values.size(); ++k)
      check_trainer_value(*flag, p.values[k], p.loc, path + ".values[" + std::to_string(k) + "]", diag);
  } else if (flag->value == FlagValue::text) {
    return;
  } else if (p.type == "double" && flag->value != FlagValue::number) {
    diag.error(p.loc, path + ".type",
               takes + (flag->value == FlagValue::count || flag->value == FlagValue::integer
                            ? ": make the parameter type: int"
                            : ": make the parameter categorical"));
  } else if (p.type == "int" && flag->value != FlagValue::number && flag->value != FlagValue::count &&
             flag->value != FlagValue::integer) {
    diag.error(p.loc, path + ".type", takes + ": make the parameter categorical");
  } else if (flag->value == FlagValue::count && p.min && *p.min < 0) {
    diag.error(p.min_loc, path + ".min", takes + ", got " + num(*p.min));
  }
}

void check_tuning(const TuningSpec& t, bool kf_trainer, Diagnostics& diag) {
  if (!t.present) return;
  const std::size_t errors_before = diag.size();
  if (t.parameters.empty()) diag.error(t.loc, "spec.tuning.parameters", "at least one parameter is required");
  std::map<std::string, const ParameterSpec*> seen;
  for (std::size_t i = 0; i < t.parameters.size(); ++i) {
    const auto& p = t.parameters[i];
    const std::string path = "spec.tuning.parameters[" + std::to_string(i) + "]";
    if (!p.name.empty() && !seen.emplace(p.name, &p).second)
      diag.error(p.name_loc, path + ".name",
                 "duplicate parameter " + str::quote(p.name) + " (first at line " +
                     std::to_string(seen[p.name]->name_loc.line) + ")");
    check_parameter(p, path, diag);
    if (kf_trainer && !p.name.empty()) check_tuned_flag(p, path, diag);
  }
  if (t.parallel_trials > t.max_trials)
    diag.error(t.parallel_loc, "spec.tuning.parallelTrials",
               "must not exceed maxTrials (" + std::to_string(t.max_trials) + "), got " +
                   std::to_string(t.parallel_trials));
  if (t.algorithm == "grid")
    for (std::size_t i = 0; i < t.parameters.size(); ++i)
      if (t.parameters[i].type == "double" && !t.parameters[i].step)
        diag.error(t.parameters[i].loc, "spec.tuning.parameters[" + std::to_string(i) + "].step",
                   "grid search needs a step for double parameters");
  // The algorithm's own checks, once the rest is sound.
  if (diag.size() == errors_before && t.algorithm != "grid") check_algorithm(t, diag);
}

void check_pipeline(const PipelineSpec& p, const std::string& path, Diagnostics& diag) {
  std::map<std::string, const StepSpec*> steps;
  std::map<std::string, std::string> producer; // "step.artifact" -> step
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const auto& s = p.steps[i];
    const std::string sp = path + ".steps[" + std::to_string(i) + "]";
    if (s.name.empty()) continue;
    if (!str::is_dns1123_label(s.name))
      diag.error(s.name_loc, sp + ".name",
                 "invalid step name " + str::quote(s.name) + ": use lower-case letters, digits and '-'");
    if (!steps.emplace(s.name, &s).second)
      diag.error(s.name_loc, sp + ".name",
                 "duplicate step name " + str::quote(s.name) + " (first at line " +
                     std::to_string(steps[s.name]->name_loc.line) + ")");
    for (const auto& o : s.outputs) producer[s.name + "." + o] = s.name;
    if (!s.notebook.empty()) {
      producer[s.name + ".notebook"] = s.name;
      if (!s.command.empty() || !s.args.empty())
        diag.error(s.notebook_loc, sp + ".notebook", "a step runs a notebook or a command, not both (drop command and args)");
      if (std::find(s.outputs.begin(), s.outputs.end(), "notebook") != s.outputs.end())
        diag.error(s.notebook_loc, sp + ".outputs", "a notebook step's output \"notebook\" is the executed notebook: name the others differently");
    } else if (!s.parameters.empty()) {
      diag.error(s.loc, sp + ".parameters", "only a notebook step takes parameters (a command takes args)");
    }
  }
  std::vector<std::string> names;
  for (const auto& [n, _] : steps) names.push_back(n);
  std::vector<std::string> artifacts;
  for (const auto& [a, _] : producer) artifacts.push_back(a);
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const auto& s = p.steps[i];
    const std::string sp = path + ".steps[" + std::to_string(i) + "]";
    for (std::size_t d = 0; d < s.depends_on.size(); ++d) {
      const auto& dep = s.depends_on[d];
      const yaml::Loc& loc = d < s.depends_locs.size() ? s.depends_locs[d] : s.loc;
      const std::string dp = sp + ".dependsOn[" + std::to_string(d) + "]";
      if (dep == s.name)
        diag.error(loc, dp, "step " + str::quote(s.name) + " depends on itself");
      else if (!steps.count(dep))
        diag.error(loc, dp, "unknown step " + str::quote(dep) + str::did_you_mean(dep, names));
    }
    for (std::size_t k = 0; k < s.inputs.size(); ++k) {
      const auto& in = s.inputs[k];
      const yaml::Loc& loc = k < s.input_locs.size() ? s.input_locs[k] : s.loc;
      const std::string ip = sp + ".inputs[" + std::to_string(k) + "]";
      if (in.find('.') == std::string::npos)
        diag.error(loc, ip, "an input names a step's output as STEP.ARTIFACT, got " + str::quote(in));
      else if (!producer.count(in))
        diag.error(loc, ip, "no step produces " + str::quote(in) + str::did_you_mean(in, artifacts));
      else if (producer[in] == s.name)
        diag.error(loc, ip, "step " + str::quote(s.name) + " consumes its own output " + str::quote(in));
    }
  }
  const auto cycle = find_cycle(p);
  if (!cycle.empty())
    diag.error(steps.count(cycle.front()) ? steps[cycle.front()]->loc : p.loc, path + ".steps",
               "dependency cycle: " + str::join(cycle, " -> "));
}

template <typename T>
void check_unique_names(const std::vector<T>& items, const std::string& path, const std::string& what,
                        Diagnostics& diag) {
  std::map<std::string, int> first_line;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    if (it.name.empty()) continue;
    if (!first_line.emplace(it.name, it.name_loc.line).second)
      diag.error(it.name_loc, path + "[" + std::to_string(i) + "].name",
                 "duplicate " + what + " name " + str::quote(it.name) + " (first at line " +
                     std::to_string(first_line[it.name]) + ")");
    else if (!str::is_dns1123_label(it.name))
      diag.error(it.name_loc, path + "[" + std::to_string(i) + "].name",
                 "invalid " + what + " name " + str::quote(it.name) + ": use lower-case letters, digits and '-'");
  }
}

} // namespace

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// ([0-9]+(\.[0-9]*)?)|(\.[0-9]+) at s[i]; advances i past it.
bool decimal(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && digit(s[i])) ++i;
  if (i > start) {
    if (i < s.size() && s[i] == '.')
      for (++i; i < s.size() && digit(s[i]);) ++i;
    return true;
  }
  if (i + 1 < s.size() && s[i] == '.' && digit(s[i + 1])) {
    for (i += 2; i < s.size() && digit(s[i]);) ++i;
    return true;
  }
  return false;
}

} // namespace

void check_trainer_value(const contract::TrainerFlag& flag, const std::string& text, const yaml::Loc& loc,
                         const std::string& path, Diagnostics& diag) {
  if (contract::takes_value(flag, text)) return;
  std::string message = "--" + std::string(flag.name) + " takes " + contract::flag_takes(flag) + ", got " + str::quote(text);
  if (flag.value == contract::FlagValue::choice) message += str::did_you_mean(text, contract::flag_choices(flag));
  diag.error(loc, path, message);
}

std::string not_a_trainer_flag(const std::string& name) {
  return "unknown kf-trainer flag --" + name + str::did_you_mean(name, contract::trainer_flag_names()) +
         "; kf-trainer --help lists them, and training.command runs a program of your own instead";
}

// Kubernetes' quantity: [+-]?decimal (binary suffix Ki..Ei | decimal suffix n u m k M G T P E | exponent)?,
// scanned by hand (a std::regex cost more to compile than the rest of `kf render`).
bool is_quantity(const std::string& s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (!decimal(s, i)) return false;
  if (i == s.size()) return true;
  const std::string_view rest = std::string_view(s).substr(i);
  if (rest.size() == 2 && rest[1] == 'i' && std::string_view("KMGTPE").find(rest[0]) != std::string_view::npos) return true;
  if (rest.size() == 1 && std::string_view("numkMGTPE").find(rest[0]) != std::string_view::npos) return true;
  if (rest[0] != 'e' && rest[0] != 'E') return false;
  ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  return decimal(s, i) && i == s.size();
}

std::vector<std::string> step_dependencies(const PipelineSpec& pipeline, const StepSpec& step) {
  std::vector<std::string> deps = step.depends_on;
  for (const auto& in : step.inputs) {
    const auto dot = in.find('.');
    if (dot == std::string::npos) continue;
    const std::string producer = in.substr(0, dot);
    if (producer == step.name) continue;
    const bool exists = std::any_of(pipeline.steps.begin(), pipeline.steps.end(),
                                    [&](const StepSpec& s) { return s.name == producer; });
    if (exists && std::find(deps.begin(), deps.end(), producer) == deps.end()) deps.push_back(producer);
  }
  return deps;
}

std::vector<std::string> find_cycle(const PipelineSpec& pipeline) {
  std::map<std::string, std::vector<std::string>> edges;
  for (const auto& s : pipeline.steps) edges[s.name] = step_dependencies(pipeline, s);
  std::map<std::string, int> state; // 0 new, 1 on stack, 2 done
  std::vector<std::string> stack;
  std::vector<std::string> cycle;
  std::function<bool(const std::string&)> visit = [&](const std::string& n) {
    state[n] = 1;
    stack.push_back(n);
    for (const auto& d : edges[n]) {
      if (!edges.count(d) || d == n) continue;
      if (state[d] == 1) {
        auto it = std::find(stack.begin(), stack.end(), d);
        cycle.assign(it, stack.end());
        cycle.push_back(d);
        return true;
      }
      if (state[d] == 0 && visit(d)) return true;
    }
    stack.pop_back();
    state[n] = 2;
    return false;
  };
  for (const auto& s : pipeline.steps)
    if (state[s.name] == 0 && visit(s.name)) break;
  return cycle;
}

void check_project(const Project& p, Diagnostics& diag) {
  check_training(p.training, diag);
  check_tuning(p.tuning, p.training.command.empty(), diag);
  check_unique_names(p.pipelines, "spec.pipelines", "pipeline", diag);
  for (std::size_t i = 0; i < p.pipelines.size(); ++i)
    check_pipeline(p.pipelines[i], "spec.pipelines[" + std::to_string(i) + "]", diag);
  check_unique_names(p.notebooks, "spec.notebooks", "notebook", diag);
  check_unique_names(p.targets, "spec.targets", "target", diag);
  std::map<std::string, int> components;
  for (std::size_t i = 0; i < p.platform.components.size(); ++i) {
    const auto& c = p.platform.components[i];
    if (!c.name.empty() && !components.emplace(c.name, c.loc.line).second)
      diag.error(c.loc, "spec.platform.components[" + std::to_string(i) + "].name",
                 "duplicate component " + str::quote(c.name) + " (first at line " +
                     std::to_string(components[c.name]) + ")");
  }
  if (p.default_target != "local" && !p.find_target(p.default_target)) {
    std::vector<std::string> names{"local"};
    for (const auto& t : p.targets) names.push_back(t.name);
    diag.error(p.default_target_loc, "spec.defaultTarget",
               "unknown target " + str::quote(p.default_target) + str::did_you_mean(p.default_target, names));
  }
}

} // namespace kf::spec
