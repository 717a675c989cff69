// Katib (kubeflow.org/v1beta1 Experiment): the suggestion service and the
// trial controller in one. Trials are Trial objects `<experiment>-<8 chars>`
// labelled katib.kubeflow.org/experiment and owned by the experiment, with
// parameterAssignments drawn per spec.algorithm (grid; anything else is
// random with a seed from the experiment's name) and the trial template
// rendered into spec.runSpec. A trial takes three steps (Created, Running,
// Succeeded/Failed) and reports the metrics kf-trainer would print for its
// parameters (sim::curve). Trials run no jobs or pods.
#include <cmath>
#include <sstream>

#include "tests/kube-sim/controllers_kit.h"

namespace kubesim::sim {

namespace {

struct Param {
  std::string name, type;
  double min = 0, max = 0, step = 0;
  bool log = false;
  std::vector<std::string> list;
  std::vector<std::string> grid() const;
};

double num(const Json& space, const char* key) {
  if (!space.contains(key)) return 0;
  const Json& v = space[key];
  return v.is_number() ? v.get<double>() : v.is_string() ? std::strtod(v.get<std::string>().c_str(), nullptr) : 0;
}

std::vector<std::string> Param::grid() const {
  if (!list.empty()) return list;
  std::vector<std::string> out;
  const bool integer = type == "int";
  const double s = step > 0 ? step : integer ? 1 : (max - min) / 4;
  for (int i = 0; s > 0 && min + i * s <= max + 1e-12 && out.size() < 1000; ++i)
    out.push_back(integer ? std::to_string(std::llround(min + i * s)) : fmt_double(min + i * s, 6, true));
  if (out.empty()) out.push_back(fmt_double(min, 6, true));
  return out;
}

struct Trial {
  std::string name, uid, phase = "Created";
  std::vector<std::pair<std::string, std::string>> params;
  int age = 0;
  bool fail = false;
  Json metrics = Json::array();
  double objective = 0;
};

struct ExpRun : RunState {
  std::vector<Param> params;
  std::vector<Trial> trials;
  int created = 0;
  bool exhausted = false;
  std::string done_reason;
};

std::uint64_t next(std::uint64_t& s) {
  s += 0x9e3779b97f4a7c15ull;
  std::uint64_t z = s;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double uniform(std::uint64_t& s) { return static_cast<double>(next(s) >> 11) * 0x1.0p-53; }

// The container named `name` (or the first one) of the first pod template in `spec`.
Json primary_container(const Json& spec, const std::string& name) {
  if (spec.is_object() && spec.contains("containers") && spec["containers"].is_array() && !spec["containers"].empty()) {
    for (const auto& c : spec["containers"])
      if (c.value("name", "") == name) return c;
    return spec["containers"][0];
  }
  if (spec.is_object() || spec.is_array())
    for (const auto& v : spec) {
      Json c = primary_container(v, name);
      if (!c.empty()) return c;
    }
  return Json::object();
}

bool lower_is_better(const std::string& metric) { return metric.find("loss") != std::string::npos || metric.find("error") != std::string::npos; }

class KatibReconciler : public Reconciler {
public:
  bool handles(const ResourceType& t) const override { return t.group == "kubeflow.org" && t.kind == "Experiment"; }
  bool wants(const Json& obj) const override { return !has_condition(obj, "Succeeded") && !has_condition(obj, "Failed"); }
  std::unique_ptr<RunState> start(const Json&) const override { return std::make_unique<ExpRun>(); }

  bool step(Target& t, RunState& state) override {
    auto& run = dynamic_cast<ExpRun&>(state);
    const Json spec = t.obj.value("spec", Json::object());
    Json status = t.obj.value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    if (run.step == 0) {
      for (const auto& p : spec.value("parameters", Json::array())) {
        const Json space = p.value("feasibleSpace", Json::object());
        Param x{p.value("name", ""), p.value("parameterType", "double"), num(space, "min"), num(space, "max"), num(space, "step"),
                space.value("distribution", "") == "logUniform", space.value("list", std::vector<std::string>{})};
        run.params.push_back(x);
      }
      set_katib_condition(conditions, condition("Created", "True", "ExperimentCreated", "Experiment is created", true));
      status["conditions"] = conditions;
      status["startTime"] = now_rfc3339();
      status["currentOptimalTrial"] = {{"observation", Json::object()}};
      return set_status(t, status);
    }
    const auto trial_type = t.store.find_type("kubeflow.org", "v1beta1", "trials");
    for (auto& tr : run.trials) advance(t, trial_type, spec, tr);
    std::erase_if(run.trials, [](const Trial& tr) { return tr.phase == "Gone"; });
    const int max_trials = spec.value("maxTrialCount", 10), parallel = spec.value("parallelTrialCount", 3);
    if (run.done_reason.empty()) judge(spec, run, conditions);
    const auto active = [&] {
      return std::count_if(run.trials.begin(), run.trials.end(), [](const Trial& tr) { return tr.phase == "Created" || tr.phase == "Running"; });
    };
    for (int attempt = 0; attempt < 100 && run.done_reason.empty() && trial_type && active() < parallel &&
                          static_cast<int>(run.trials.size()) < max_trials && !run.exhausted; ++attempt) {
      Trial tr;
      if (!suggest(t, spec, run, tr)) {
        run.exhausted = true;
        break;
      }
      if (create(t, *trial_type, spec, tr)) run.trials.push_back(std::move(tr));
    }
    if (run.done_reason.empty() && run.exhausted && active() == 0) {
      run.done_reason = "ExperimentSuggestionEndReached";
      finish(conditions, "Succeeded", run.done_reason, "Experiment has succeeded because suggestion service has reached the end");
    }
    if (run.done_reason.empty()) set_katib_condition(conditions, condition("Running", "True", "ExperimentRunning", "Experiment is running", true));
    summarize(spec, run, status);
    status["conditions"] = conditions;
    if (!run.done_reason.empty() && !status.contains("completionTime")) status["completionTime"] = now_rfc3339();
    if (!set_status(t, status)) return false;
    return run.done_reason.empty() || active() > 0;
  }

private:
  static void finish(Json& conditions, const std::string& type, const std::string& reason, const std::string& message) {
    Json running;
    for (const auto& c : conditions)
      if (c.value("type", "") == "Running" && c.value("status", "") == "True") running = c;
    if (!running.is_null()) set_katib_condition(conditions, condition("Running", "False", running.value("reason", ""), running.value("message", ""), true));
    set_katib_condition(conditions, condition(type, "True", reason, message, true));
  }

  // Katib's UpdateExperimentStatusCondition: goal, failures, then the trial budget.
  static void judge(const Json& spec, ExpRun& run, Json& conditions) {
    const Json objective = spec.value("objective", Json::object());
    const bool maximize = objective.value("type", "maximize") == "maximize";
    int succeeded = 0, failed = 0;
    bool goal = false;
    for (const auto& tr : run.trials) {
      succeeded += tr.phase == "Succeeded";
      failed += tr.phase == "Failed";
      if (tr.phase == "Succeeded" && objective.contains("goal") && objective["goal"].is_number()) {
        const double g = objective["goal"].get<double>();
        goal = goal || (maximize ? tr.objective >= g : tr.objective <= g);
      }
    }
    if (goal) {
      run.done_reason = "ExperimentGoalReached";
      finish(conditions, "Succeeded", run.done_reason, "Experiment has succeeded because Objective goal has reached");
    } else if (spec.contains("maxFailedTrialCount") && failed != 0 && failed >= spec.value("maxFailedTrialCount", 0)) {
      // Katib's rule (experiment/util/status_util.go): at the count, not past it
      run.done_reason = "ExperimentFailed";
      finish(conditions, "Failed", run.done_reason, "Experiment has failed because max failed count has reached");
    } else if (succeeded + failed >= spec.value("maxTrialCount", 10)) {
      run.done_reason = "ExperimentMaxTrialsReached";
      finish(conditions, "Succeeded", run.done_reason, "Experiment has succeeded because max trial count has reached");
    }
  }

  bool suggest(const Target& t, const Json& spec, ExpRun& run, Trial& tr) const {
    const int k = run.created;
    const std::string algorithm = spec.value("algorithm", Json::object()).value("algorithmName", "random");
    std::uint64_t seed = fnv1a(t.ns + "/" + t.name) + static_cast<std::uint64_t>(k) * 7919;
    std::size_t rest = static_cast<std::size_t>(k);
    for (std::size_t i = run.params.size(); i-- > 0;) { // grid: the last parameter varies fastest
      const Param& p = run.params[i];
      std::string v;
      if (algorithm == "grid") {
        const auto g = p.grid();
        v = g[rest % g.size()];
        rest /= g.size();
      } else if (!p.list.empty()) {
        v = p.list[static_cast<std::size_t>(uniform(seed) * static_cast<double>(p.list.size()))];
      } else if (p.type == "int") {
        const double s = p.step > 0 ? p.step : 1;
        v = std::to_string(std::llround(p.min + s * std::floor(uniform(seed) * (std::floor((p.max - p.min) / s) + 1))));
      } else {
        const double u = uniform(seed);
        v = fmt_double(p.log && p.min > 0 ? std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min))) : p.min + u * (p.max - p.min), 6, true);
      }
      tr.params.insert(tr.params.begin(), {p.name, v});
    }
    if (algorithm == "grid" && rest > 0) return false;
    tr.name = t.name + "-" + name_suffix(fnv1a(t.uid) + static_cast<std::uint64_t>(k), 8);
    const std::string fail = annotation(t.obj, k_fail);
    std::stringstream in(fail);
    for (std::string item; std::getline(in, item, ',');) tr.fail = tr.fail || item == "true" || item == std::to_string(k) || item == tr.name;
    ++run.created;
    return true;
  }

  static Json assignments(const Trial& tr) {
    Json out = Json::array();
    for (const auto& [n, v] : tr.params) out.push_back({{"name", n}, {"value", v}});
    return out;
  }

  bool create(Target& t, const ResourceType& trial_type, const Json& spec, Trial& tr) const {
    const Json tmpl = spec.value("trialTemplate", Json::object());
    std::string run_spec = tmpl.value("trialSpec", Json::object()).dump();
    auto replace = [&](const std::string& from, const std::string& to) {
      for (auto at = run_spec.find(from); at != std::string::npos; at = run_spec.find(from, at + to.size())) run_spec.replace(at, from.size(), to);
    };
    for (const auto& tp : tmpl.value("trialParameters", Json::array()))
      for (const auto& [n, v] : tr.params)
        if (n == tp.value("reference", "")) replace("${trialParameters." + tp.value("name", "") + "}", v);
    replace("${trialSpec.Name}", tr.name);
    replace("${trialSpec.Namespace}", t.ns);
    Json runspec = kf::json::parse(run_spec);
    runspec["metadata"] = {{"name", tr.name}, {"namespace", t.ns}};
    Json trial_spec = {{"objective", spec.value("objective", Json::object())}, {"parameterAssignments", assignments(tr)},
                       {"runSpec", runspec}, {"primaryContainerName", tmpl.value("primaryContainerName", "")},
                       {"successCondition", tmpl.value("successCondition", "")}, {"failureCondition", tmpl.value("failureCondition", "")}};
    if (spec.contains("metricsCollectorSpec")) trial_spec["metricsCollector"] = spec["metricsCollectorSpec"];
    Json trial = {{"apiVersion", trial_type.api_version()}, {"kind", "Trial"},
                  {"metadata", {{"name", tr.name}, {"namespace", t.ns}, {"labels", {{"katib.kubeflow.org/experiment", t.name}}},
                                {"ownerReferences", {owner_ref(t.obj)}}}},
                  {"spec", trial_spec}};
    const auto r = t.store.write(trial_type, t.ns, tr.name, [&](const Json* current) -> std::optional<Json> {
      return current ? *current : trial;
    }, false);
    tr.uid = r.object["metadata"].value("uid", "");
    return r.created;
  }

  void advance(Target& t, const std::optional<ResourceType>& trial_type, const Json& spec, Trial& tr) const {
    if (tr.phase != "Created" && tr.phase != "Running") return;
    ++tr.age;
    Json conds = Json::array();
    set_katib_condition(conds, condition("Created", "True", "TrialCreated", "Trial is created", true));
    if (tr.age >= 1) {
      tr.phase = "Running";
      set_katib_condition(conds, condition("Running", "True", "TrialRunning", "Trial is running", true));
    }
    if (tr.age >= 3) {
      tr.phase = tr.fail ? "Failed" : "Succeeded";
      set_katib_condition(conds, condition("Running", "False", "TrialRunning", "Trial is running", true));
      set_katib_condition(conds, tr.fail ? condition("Failed", "True", "TrialFailed", "Trial has failed", true)
                                   : condition("Succeeded", "True", "TrialSucceeded", "Trial has succeeded", true));
      if (!tr.fail) observe(spec, tr);
    }
    Json st = {{"startTime", now_rfc3339()}, {"conditions", conds}};
    if (tr.phase == "Succeeded") {
      st["completionTime"] = now_rfc3339();
      st["observation"] = {{"metrics", tr.metrics}};
    }
    if (trial_type && !update(t.store, *trial_type, t.ns, tr.name, tr.uid, [&](Json& o) {
          if (o.contains("status") && o["status"].contains("startTime")) st["startTime"] = o["status"]["startTime"];
          o["status"] = st;
        }))
      tr.phase = "Gone";
  }

  static void observe(const Json& spec, Trial& tr) {
    const Json objective = spec.value("objective", Json::object());
    const std::string main = objective.value("objectiveMetricName", "accuracy");
    std::vector<std::string> names{main};
    for (const auto& n : objective.value("additionalMetricNames", Json::array())) names.push_back(n.get<std::string>());
    const Json tmpl = spec.value("trialTemplate", Json::object());
    const int epochs = epochs_of(primary_container(tmpl.value("trialSpec", Json::object()), tmpl.value("primaryContainerName", "")));
    const Curve c = curve(std::map<std::string, std::string>(tr.params.begin(), tr.params.end()));
    for (const auto& n : names) {
      double lo = 1e9, hi = -1e9, last = 0;
      for (int e = 1; e <= epochs; ++e) {
        last = lower_is_better(n) ? c.loss_at(e) : c.accuracy_at(e);
        lo = std::min(lo, last);
        hi = std::max(hi, last);
      }
      tr.metrics.push_back({{"name", n}, {"min", fmt_double(lo)}, {"max", fmt_double(hi)}, {"latest", fmt_double(last)}});
      if (n == main) tr.objective = std::stod(fmt_double(last));
    }
  }

  static void summarize(const Json& spec, const ExpRun& run, Json& status) {
    const bool maximize = spec.value("objective", Json::object()).value("type", "maximize") == "maximize";
    std::map<std::string, Json> lists;
    const Trial* best = nullptr;
    for (const auto& tr : run.trials) {
      lists[tr.phase == "Created" ? "pending" : lower_phase(tr.phase)].push_back(tr.name);
      if (tr.phase == "Succeeded" && (!best || (maximize ? tr.objective > best->objective : tr.objective < best->objective))) best = &tr;
    }
    for (const char* key : {"trials", "trialsPending", "trialsRunning", "trialsSucceeded", "trialsFailed",
                            "pendingTrialList", "runningTrialList", "succeededTrialList", "failedTrialList"})
      status.erase(key);
    status["trials"] = run.trials.size();
    for (const auto& [phase, names] : lists) {
      std::string cap = phase;
      cap[0] = static_cast<char>(cap[0] - 'a' + 'A');
      status["trials" + cap] = names.size();
      status[phase + "TrialList"] = names;
    }
    if (best)
      status["currentOptimalTrial"] = {{"bestTrialName", best->name}, {"parameterAssignments", assignments(*best)},
                                       {"observation", {{"metrics", best->metrics}}}};
  }

  static std::string lower_phase(const std::string& phase) {
    std::string s = phase;
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
  }
};

} // namespace

std::unique_ptr<Reconciler> katib_reconciler() { return std::make_unique<KatibReconciler>(); }

} // namespace kubesim::sim
