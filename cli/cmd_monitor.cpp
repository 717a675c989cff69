// kf monitor — libkf/action/monitor.cpp.
#include <cstdio>
#include <iostream>

#include "cli/app.h"
#include "cli/output.h"
#include "cli/session.h"
#include "libkf/action/monitor.h"
#include "libkf/action/runs.h"

namespace kf::cli {

namespace {

void print_report(const Json& r) {
  std::cout << (r.contains("run") ? "run " + r["run"].get<std::string>() + ": " : "") << r["answers"].get<std::size_t>()
            << " logged answers, " << r["labeled"].get<std::size_t>() << " labels (by " << r["key"].get<std::string>()
            << "), " << r["matched"].get<std::size_t>() << " matched\n";
  if (!r.contains("accuracy")) {
    std::cout << "no logged answer has a label yet\n";
    return;
  }
  std::cout << "accuracy " << percent(r["accuracy"].get<double>()) << " (" << r["correct"].get<std::size_t>() << " of "
            << r["matched"].get<std::size_t>() << ")";
  if (r.contains("trainedAccuracy"))
    std::cout << "; on the test set in training: " << percent(r["trainedAccuracy"].get<double>());
  std::cout << '\n';
  const Json& conf = r["confidence"];
  if (conf.contains("correct") || conf.contains("wrong")) {
    std::cout << "mean confidence:";
    if (conf.contains("correct")) std::cout << " " << percent(conf["correct"].get<double>()) << " when right";
    if (conf.contains("wrong")) std::cout << (conf.contains("correct") ? "," : "") << " " << percent(conf["wrong"].get<double>()) << " when wrong";
    std::cout << '\n';
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : r["classes"]) {
    if (rows.size() == 10) break;
    rows.push_back({c["class"].get<std::string>(), std::to_string(c["matched"].get<std::size_t>()),
                    percent(c["accuracy"].get<double>())});
  }
  std::cout << "\nworst classes:\n";
  print_table({"CLASS", "MATCHED", "ACCURACY"}, rows);
  if (r["confusions"].empty()) return;
  rows.clear();
  for (const auto& c : r["confusions"])
    rows.push_back({c["label"].get<std::string>(), c["predicted"].get<std::string>(), std::to_string(c["count"].get<std::size_t>())});
  std::cout << "\nmost confused:\n";
  print_table({"LABEL", "ANSWERED", "COUNT"}, rows);
}

} // namespace

void add_monitor(CLI::App& app, Globals& g) {
  auto o = std::make_shared<action::MonitorOptions>();
  auto* cmd = app.add_subcommand("monitor", "Score a model server's logged answers against labels that came later");
  hint(cmd->add_option("run", o->run, "The serving run (default: the newest model server)"), Hint{{}, "run"});
  hint(cmd->add_option("--labels", o->labels, "CSV, TSV or JSON-lines table: a label column and an id or text column")
           ->required()
           ->type_name("FILE"),
       Hint{{}, "file"});
  hint(cmd->add_option("--log", o->log, "The answers (kf-server --log-file JSON lines; default: the run's predictions.jsonl)")
           ->type_name("FILE"),
       Hint{{}, "file"});
  cmd->add_option("--label-column", o->label_column, "The labels table's column of true labels")->type_name("NAME")
      ->capture_default_str();
  cmd->footer("kf-server logs each answer when kf.yaml has serving.logger (KServe's predictor logger): locally to "
              "the run's predictions.jsonl, with the request id (the v2 request's \"id\", or one kf-server made up and "
              "returned) and the text asked. The labels match answers by \"id\" (ID/INDEX for a batch's later "
              "instances) or by \"text\". Labels and answers are class names, or class numbers for a model without "
              "names. -o json prints every number.\n\n"
              "Examples:\n"
              "  kf monitor --labels labels.csv\n"
              "  kf monitor intents-serve-1 --labels feedback.jsonl -o json\n"
              "  kf monitor --log answers.jsonl --labels labels.csv");
  on_run(*cmd, g, [o](Session& s) {
    auto pt = s.open();
    const Json r = action::monitor(s.ctx, *o, pt);
    if (s.g.output == "json" || s.g.output == "yaml") print_data(r, s.g.output);
    else print_report(r);
    return 0;
  });
}

} // namespace kf::cli
