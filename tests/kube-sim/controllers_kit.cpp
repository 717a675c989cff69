// The simulated operators' shared helpers (controllers_kit.h): writes that
// never resurrect, conditions, deterministic names and numbers, and the
// training-curve model behind job logs and Katib's metrics.
#include "tests/kube-sim/controllers_kit.h"
#include "libkf/util/strings.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kubesim::sim {

namespace {

struct Gone {};

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// How far one hyperparameter is from its best value, in accuracy.
double penalty(const std::string& raw_name, const std::string& value) {
  const std::string name = kf::str::lower(raw_name);
  const auto v = number(value);
  if (name == "optimizer") return value == "adam" || value == "adamw" ? 0.0 : value == "sgd" ? 0.02 : 0.01;
  if (!v) return 0.005 * static_cast<double>(fnv1a(value) % 5);
  if (name == "lr" || name.find("learning") != std::string::npos) {
    const double x = std::log10(std::max(*v, 1e-9)) + 2.3; // best near 0.005
    return std::min(0.5, 0.08 * x * x);
  }
  if (name.find("batch") != std::string::npos) {
    const double x = std::log2(std::max(*v, 1.0)) - 6; // best near 64
    return std::min(0.3, 0.004 * x * x);
  }
  if (name.find("momentum") != std::string::npos) return 0.1 * (*v - 0.9) * (*v - 0.9);
  if (name.find("dropout") != std::string::npos) return 0.2 * (*v - 0.2) * (*v - 0.2);
  const double x = *v / (1 + std::fabs(*v)) - 0.3;
  return 0.02 * x * x;
}

} // namespace

std::string annotation(const Json& obj, const std::string& key) {
  if (!obj.contains("metadata")) return "";
  const Json& md = obj["metadata"];
  for (const char* field : {"annotations", "labels"})
    if (md.contains(field) && md[field].is_object() && md[field].contains(key) && md[field][key].is_string())
      return md[field][key].get<std::string>();
  return "";
}

bool update(Store& store, const ResourceType& t, const std::string& ns, const std::string& name,
            const std::string& uid, const std::function<void(Json&)>& change) {
  try {
    store.write(t, ns, name, [&](const Json* current) -> std::optional<Json> {
      if (!current || (*current)["metadata"].value("uid", "") != uid) throw Gone{};
      Json next = *current;
      change(next);
      return next;
    }, false);
    return true;
  } catch (const Gone&) {
    return false;
  }
}

bool set_status(Target& t, const Json& status) {
  return update(t.store, t.type, t.ns, t.name, t.uid, [&](Json& o) { o["status"] = status; });
}

void remove(Store& store, const ResourceType& t, const std::string& ns, const std::string& name, const std::string& uid) {
  try {
    store.write(t, ns, name, [&](const Json* current) -> std::optional<Json> {
      if (!current || (*current)["metadata"].value("uid", "") != uid) throw Gone{};
      return std::nullopt;
    }, false);
  } catch (const Gone&) {
  }
}

Json owner_ref(const Json& owner) {
  return {{"apiVersion", owner.value("apiVersion", "")}, {"kind", owner.value("kind", "")},
          {"name", owner["metadata"].value("name", "")}, {"uid", owner["metadata"].value("uid", "")},
          {"controller", true}, {"blockOwnerDeletion", true}};
}

ResourceType pod_type(Store& store) { return *store.find_type("", "v1", "pods"); }

Json condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message, bool update_time) {
  Json c = {{"type", type}, {"status", status}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  const std::string now = now_rfc3339();
  if (update_time) c["lastUpdateTime"] = now;
  c["lastTransitionTime"] = now;
  return c;
}

void set_job_condition(Json& conditions, const Json& cond) {
  if (!conditions.is_array()) conditions = Json::array();
  const std::string type = cond.value("type", "");
  Json next = cond;
  for (const auto& c : conditions) {
    if (c.value("type", "") == "Failed" && c.value("status", "") == "True") return;
    if (c.value("type", "") != type) continue;
    if (c.value("status", "") == cond.value("status", "") && c.value("reason", "") == cond.value("reason", "")) return;
    if (c.value("status", "") == cond.value("status", "")) next["lastTransitionTime"] = c["lastTransitionTime"];
  }
  Json out = Json::array();
  for (Json c : conditions) {
    const std::string t = c.value("type", "");
    if (t == type || (type == "Restarting" && t == "Running") || (type == "Running" && t == "Restarting")) continue;
    if ((type == "Failed" || type == "Succeeded") && t == "Running") {
      if (c.value("status", "") != "False") c["lastTransitionTime"] = next["lastTransitionTime"];
      c["status"] = "False";
    }
    out.push_back(c);
  }
  out.push_back(next);
  conditions = out;
}

void put_condition(Json& conditions, const Json& cond) {
  if (!conditions.is_array()) conditions = Json::array();
  for (auto& c : conditions)
    if (c.value("type", "") == cond.value("type", "")) {
      const Json keep = c.value("status", "") == cond.value("status", "") ? c["lastTransitionTime"] : Json();
      c = cond;
      if (!keep.is_null()) c["lastTransitionTime"] = keep;
      return;
    }
  conditions.push_back(cond);
}

void set_katib_condition(Json& conditions, const Json& cond) {
  if (!conditions.is_array()) conditions = Json::array();
  Json next = cond;
  Json out = Json::array();
  for (const auto& c : conditions) {
    if (c.value("type", "") != cond.value("type", "")) {
      out.push_back(c);
      continue;
    }
    if (c.value("status", "") == cond.value("status", "") && c.value("reason", "") == cond.value("reason", "")) return;
    if (c.value("status", "") == cond.value("status", "")) next["lastTransitionTime"] = c["lastTransitionTime"];
  }
  out.push_back(next);
  conditions = out;
}

bool has_condition(const Json& obj, const std::string& type, const std::string& status) {
  if (!obj.contains("status") || !obj["status"].is_object() || !obj["status"].contains("conditions")) return false;
  for (const auto& c : obj["status"]["conditions"])
    if (c.value("type", "") == type && c.value("status", "") == status) return true;
  return false;
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string name_suffix(std::uint64_t seed, std::size_t n) {
  static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    seed = (seed ^ (seed >> 31)) * 0x9e3779b97f4a7c15ull + i;
    out += alphabet[(seed >> 17) % 27];
  }
  return out;
}

std::string fmt_double(double v, int precision, bool general) {
  char buf[64];
  if (general) std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  else std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

double Curve::accuracy_at(int epoch) const { return accuracy - (accuracy - 0.40) * std::pow(0.45, epoch); }
double Curve::loss_at(int epoch) const { return loss + 1.4 * std::pow(0.5, epoch); }

std::string Curve::line(int epoch) const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "epoch=%d loss=%.4f accuracy=%.4f test_loss=%.4f train_accuracy=%.4f", epoch,
                loss_at(epoch), accuracy_at(epoch), loss_at(epoch) * 1.07 + 0.01, accuracy_at(epoch) - 0.012);
  return buf;
}

Curve curve(const std::map<std::string, std::string>& params) {
  double s = 0.935;
  for (const auto& [name, value] : params) s -= penalty(name, value);
  s = std::clamp(s, 0.35, 0.97);
  return Curve{s, 0.18 + 1.6 * (0.97 - s)};
}

std::map<std::string, std::string> container_flags(const Json& container) {
  std::vector<std::string> words;
  for (const char* field : {"command", "args"})
    if (container.contains(field) && container[field].is_array())
      for (const auto& w : container[field])
        if (w.is_string()) words.push_back(w.get<std::string>());
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].rfind("--", 0) != 0) continue;
    const std::string flag = words[i].substr(2);
    const auto eq = flag.find('=');
    if (eq != std::string::npos) out[flag.substr(0, eq)] = flag.substr(eq + 1);
    else if (i + 1 < words.size() && words[i + 1].rfind("--", 0) != 0) out[flag] = words[++i];
    else out[flag] = "true";
  }
  return out;
}

int epochs_of(const Json& container) {
  const auto flags = container_flags(container);
  const auto it = flags.find("epochs");
  const auto v = it == flags.end() ? std::nullopt : number(it->second);
  return v ? std::clamp(static_cast<int>(*v), 1, 10) : 3;
}

Curve trainer_curve(const Json& container) {
  std::map<std::string, std::string> params;
  for (const auto& [k, v] : container_flags(container))
    if (k == "lr" || k == "optimizer" || k == "batch-size" || k == "momentum" || k == "dropout") params[k] = v;
  return curve(params);
}

std::vector<std::string> container_output(const Json& c, bool fail) {
  std::vector<std::string> words;
  for (const char* f : {"command", "args"})
    for (const auto& w : c.value(f, Json::array()))
      if (w.is_string()) words.push_back(w.get<std::string>());
  if (c.contains("source") && c["source"].is_string()) words.push_back(c["source"].get<std::string>());
  std::vector<std::string> out;
  if (!words.empty() && words[0] == "kf-trainer") {
    const auto flags = container_flags(c);
    const Curve cv = trainer_curve(c);
    const int epochs = epochs_of(c), fail_at = std::min(2, epochs);
    if (flags.count("evaluate")) out.push_back("loss=" + fmt_double(cv.loss_at(epochs)) + " accuracy=" + fmt_double(cv.accuracy_at(epochs)));
    for (int e = 1; !flags.count("evaluate") && e <= (fail ? fail_at : epochs); ++e) out.push_back(cv.line(e));
    if (fail) out.push_back("kf-trainer: error: loss is NaN at epoch " + std::to_string(fail_at));
    return out;
  }
  const bool echo = !words.empty() && words[0] == "echo";
  std::string line;
  for (std::size_t i = echo ? 1 : 0; i < words.size(); ++i) line += (i > (echo ? 1u : 0u) ? " " : "") + words[i];
  if (!words.empty()) out.push_back(echo ? line : "+ " + line);
  if (fail) out.push_back("error: exit status 1");
  return out;
}

} // namespace kubesim::sim
