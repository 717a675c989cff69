#pragma once
// `kf monitor RUN --labels FILE`: the accuracy of a model server's logged
// answers (serving.logger: the run's predictions.jsonl, kf-server
// --log-file, runtime/server/prediction_log.h) against labels that arrived
// later. The labels file is a CSV, TSV or JSON-lines table with a label
// column and a key column: "id" (the request id the answer was logged with;
// an instance of a batch is ID/INDEX) or "text" / "input" (the text the
// model was asked). Every logged answer whose key has a label counts.

#include <string>
#include <string_view>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/util/json.h"

namespace kf::action {

struct ProjectTarget;

struct MonitorOptions {
  std::string run;                   // the serving run ("" = the newest model server)
  std::string labels;                // --labels FILE
  std::string log;                   // --log FILE ("" = the run's predictions.jsonl)
  std::string label_column = "label"; // --label-column
};

// The comparison itself, without a target: the log's JSON lines and the
// labels table's text. Returns {"answers", "labeled", "matched", "correct",
// "accuracy", "unmatchedLabels", "key" ("id" | "text"), "classes": [{"class",
// "matched", "accuracy"}] (worst first), "confusions": [{"label",
// "predicted", "count"}] (most first, at most 10), "confidence": {"correct",
// "wrong"} (means)}. Throws Error "FILE:LINE: message" for a bad line.
Json compare_answers(std::string_view log_text, const std::string& log_path, std::string_view labels_text,
                     const std::string& labels_path, const std::string& label_column);

// Finds the log (through the target: a local run's directory) and compares;
// adds "run", "log", "labelsFile" and, from the served model.json, the
// training test accuracy ("trainedAccuracy").
Json monitor(const Context& ctx, const MonitorOptions& options, ProjectTarget& pt);

} // namespace kf::action
