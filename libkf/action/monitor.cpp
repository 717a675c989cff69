// `kf monitor`: logged answers against later labels (monitor.h).
#include "libkf/action/monitor.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "libkf/action/runs.h"
#include "libkf/local/plan.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "runtime/text.h"

namespace kf::action {

namespace {

struct Answer {
  std::string key_id;   // ID, or ID/INDEX for a batch's later instances
  std::string input;    // the text asked ("" for tensors)
  std::string predicted;
  double confidence = 0.0;
};

std::vector<Answer> read_log(std::string_view text, const std::string& path) {
  std::vector<Answer> out;
  std::size_t line = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const Json j = json::parse_or_discarded(raw);
    const std::string at = path + ":" + std::to_string(line);
    if (j.is_discarded() || !j.is_object()) throw Error(at + ": not a JSON object (kf-server --log-file writes one per line)");
    if (!j.contains("label")) throw Error(at + ": the answer is not logged (serving.logger.mode must be all or response)");
    Answer a;
    const Json id = j.value("id", Json(""));
    const Json index = j.value("index", Json(0));
    const Json confidence = j.value("confidence", Json(0.0));
    if (!id.is_string() || !index.is_number_integer() || index.get<long long>() < 0 || !confidence.is_number())
      throw Error(at + ": \"id\" must be a string, \"index\" a count and \"confidence\" a number");
    a.key_id = index.get<std::size_t>() == 0 ? id.get<std::string>()
                                             : id.get<std::string>() + "/" + std::to_string(index.get<std::size_t>());
    if (j.contains("input") && j["input"].is_string()) a.input = j["input"].get<std::string>();
    a.predicted = j.contains("class") && j["class"].is_string() ? j["class"].get<std::string>() : j["label"].dump();
    a.confidence = confidence.get<double>();
    out.push_back(std::move(a));
  }
  return out;
}

// The key column of a labels table: id, else text, else input.
std::string key_column(const std::vector<std::string>& columns, const std::string& path) {
  for (const char* name : {"id", "text", "input"})
    if (std::find(columns.begin(), columns.end(), name) != columns.end()) return name;
  throw Error(path + ": no key column: name the answers by \"id\" (the request id) or \"text\" (what was asked); "
              "the columns are: " + str::join(columns, ", "));
}

// runtime/text_table's messages start "data: "; here the file is the labels.
std::string without_data_prefix(std::string message) {
  return message.rfind("data: ", 0) == 0 ? message.substr(6) : message;
}

struct Tally {
  std::size_t matched = 0, correct = 0;
};

Json class_rows(const std::map<std::string, Tally>& by_class) {
  std::vector<std::pair<std::string, Tally>> rows(by_class.begin(), by_class.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second.correct * b.second.matched < b.second.correct * a.second.matched; // lower accuracy first
  });
  Json out = Json::array();
  for (const auto& [name, t] : rows)
    out.push_back({{"class", name}, {"matched", t.matched},
                   {"accuracy", static_cast<double>(t.correct) / static_cast<double>(t.matched)}});
  return out;
}

Json confusion_rows(const std::map<std::pair<std::string, std::string>, std::size_t>& confusions) {
  std::vector<std::pair<std::pair<std::string, std::string>, std::size_t>> rows(confusions.begin(), confusions.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  Json out = Json::array();
  for (std::size_t i = 0; i < rows.size() && i < 10; ++i)
    out.push_back({{"label", rows[i].first.first}, {"predicted", rows[i].first.second}, {"count", rows[i].second}});
  return out;
}

} // namespace

Json compare_answers(std::string_view log_text, const std::string& log_path, std::string_view labels_text,
                     const std::string& labels_path, const std::string& label_column) {
  const std::vector<Answer> answers = read_log(log_text, log_path);
  std::string key;
  std::vector<trainer::TextRow> rows;
  try {
    key = key_column(trainer::text_table_columns(labels_text, labels_path), labels_path);
    rows = trainer::parse_text_table(labels_text, labels_path, key, label_column);
  } catch (const std::exception& e) { // the trainer's table parser: "data: FILE:LINE: ..."
    throw Error(without_data_prefix(e.what()));
  }
  std::map<std::string, std::string> label_of;
  for (const auto& r : rows) label_of[r.text] = r.label;
  std::map<std::string, Tally> by_class;
  std::map<std::pair<std::string, std::string>, std::size_t> confusions;
  std::set<std::string> used; // labels that matched an answer
  Tally all;
  double conf_right = 0.0, conf_wrong = 0.0;
  for (const Answer& a : answers) {
    const std::string& k = key == "id" ? a.key_id : a.input;
    const auto it = label_of.find(k);
    if (it == label_of.end()) continue;
    used.insert(k);
    const bool right = a.predicted == it->second;
    ++all.matched;
    ++by_class[it->second].matched;
    if (right) {
      ++all.correct;
      ++by_class[it->second].correct;
      conf_right += a.confidence;
    } else {
      ++confusions[{it->second, a.predicted}];
      conf_wrong += a.confidence;
    }
  }
  Json out = {{"answers", answers.size()}, {"labeled", label_of.size()}, {"key", key},
              {"matched", all.matched}, {"correct", all.correct},
              {"unmatchedLabels", label_of.size() - used.size()}};
  if (all.matched == 0) return out;
  out["accuracy"] = static_cast<double>(all.correct) / static_cast<double>(all.matched);
  out["classes"] = class_rows(by_class);
  out["confusions"] = confusion_rows(confusions);
  Json conf = Json::object();
  if (all.correct > 0) conf["correct"] = conf_right / static_cast<double>(all.correct);
  if (all.matched > all.correct) conf["wrong"] = conf_wrong / static_cast<double>(all.matched - all.correct);
  out["confidence"] = conf;
  return out;
}

Json monitor(const Context& ctx, const MonitorOptions& o, ProjectTarget& pt) {
  std::string run = o.run.empty() ? "" : pt.target->resolve(o.run);
  if (run.empty() && o.log.empty()) {
    run = newest_model_server(*pt.target, false);
    if (run.empty()) throw Error("no model server has run here: start one with kf serve (serving.logger logs its answers)");
  }
  std::string log = o.log;
  Json model = Json::object();
  if (!run.empty()) {
    const auto object = pt.target->get(run);
    if (!object) throw Error("run " + str::quote(run) + " does not exist (kf status lists the runs)");
    if (object->value("kind", "") != "InferenceService")
      throw Error("run " + run + " is a " + object->value("kind", "") + ", not a model server");
    const Json described = pt.target->describe(run).at(0);
    model = served_model_json(ctx, described);
    if (log.empty()) {
      if (!pt.target->traits().local_files || !described.contains("runDir"))
        throw Error("run " + run + " runs on " + pt.target->name() + ": its answers go where serving.logger.url "
                    "sends them (KServe's logger); collect them and pass --log FILE");
      log = (std::filesystem::path(described["runDir"].get<std::string>()) / local::k_predictions_file).string();
      if (!std::filesystem::exists(log))
        throw Error("run " + run + " logged no answers (" + log + " does not exist): add serving.logger to kf.yaml "
                    "and serve again");
    }
  }
  Json out = compare_answers(fs::read_file(log), log, fs::read_file(o.labels), o.labels, o.label_column);
  if (!run.empty()) out["run"] = run;
  out["log"] = log;
  out["labelsFile"] = o.labels;
  if (model.contains("metrics") && model["metrics"].is_object() && model["metrics"].contains("accuracy"))
    out["trainedAccuracy"] = model["metrics"]["accuracy"];
  return out;
}

} // namespace kf::action
