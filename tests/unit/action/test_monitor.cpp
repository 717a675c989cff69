// kf monitor's comparison (libkf/action/monitor.cpp): logged answers
// against labels by id or by text, and every error it can give.
#include <doctest/doctest.h>

#include "libkf/action/monitor.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {

// What kf-server --log-file writes: three single answers and a batch of two.
const char* k_log =
    R"({"time":"2026-12-05T17:00:00.000Z","id":"a","index":0,"model":"m","input":"my card is late","label":11,"class":"card_arrival","confidence":0.9})" "\n"
    R"({"time":"2026-12-05T17:00:00.100Z","id":"b","index":0,"model":"m","input":"refund please","label":50,"class":"refund","confidence":0.8})" "\n"
    "\n"
    R"({"time":"2026-12-05T17:00:00.200Z","id":"c","index":0,"model":"m","input":"card not here","label":50,"class":"refund","confidence":0.4})" "\n"
    R"({"time":"2026-12-05T17:00:00.300Z","id":"d","index":0,"model":"m","input":"lost my card","label":40,"class":"lost_card","confidence":0.7})" "\n"
    R"({"time":"2026-12-05T17:00:00.300Z","id":"d","index":1,"model":"m","input":"my card is late","label":11,"class":"card_arrival","confidence":0.6})" "\n";

Json compare(const std::string& labels, const std::string& path = "labels.csv", const std::string& column = "label") {
  return action::compare_answers(k_log, "predictions.jsonl", labels, path, column);
}

std::string error_of(const std::string& log, const std::string& labels, const std::string& path = "labels.csv") {
  try {
    action::compare_answers(log, "predictions.jsonl", labels, path, "label");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

} // namespace

TEST_CASE("monitor: labels by id - a batch's later instance is ID/INDEX - accuracy, classes, confusions") {
  const Json r = compare("id,label\na,card_arrival\nc,card_arrival\nd/1,card_arrival\nd,lost_card\nzzz,refund\n");
  CHECK(r["key"] == "id");
  CHECK(r["answers"] == 5);
  CHECK(r["labeled"] == 5);
  CHECK(r["matched"] == 4);
  CHECK(r["correct"] == 3);
  CHECK(r["unmatchedLabels"] == 1);
  CHECK(r["accuracy"].get<double>() == doctest::Approx(0.75));
  REQUIRE(r["classes"].size() == 2);
  CHECK(r["classes"][0]["class"] == "card_arrival"); // the worst first
  CHECK(r["classes"][0]["matched"] == 3);
  CHECK(r["classes"][0]["accuracy"].get<double>() == doctest::Approx(2.0 / 3.0));
  CHECK(r["classes"][1]["accuracy"] == 1.0);
  CHECK(r["confusions"] == Json::parse(R"([{"label":"card_arrival","predicted":"refund","count":1}])"));
  CHECK(r["confidence"]["correct"].get<double>() == doctest::Approx((0.9 + 0.7 + 0.6) / 3));
  CHECK(r["confidence"]["wrong"].get<double>() == doctest::Approx(0.4));
}

TEST_CASE("monitor: labels by text count every answer to that text, from JSON lines too") {
  const Json r = compare(R"({"text":"my card is late","label":"card_arrival"})" "\n" R"({"text":"refund please","label":"card_arrival"})" "\n",
                         "feedback.jsonl");
  CHECK(r["key"] == "text");
  CHECK(r["matched"] == 3); // "my card is late" was asked twice
  CHECK(r["correct"] == 2);
  // A labels table with no row in common: nothing to score, no accuracy.
  const Json none = compare("id,label\nq,refund\n");
  CHECK(none["matched"] == 0);
  CHECK_FALSE(none.contains("accuracy"));
}

TEST_CASE("monitor: another label column, and errors name the file and line") {
  CHECK(compare("id,truth\na,refund\n", "labels.csv", "truth")["correct"] == 0);
  CHECK(error_of(k_log, "label,when\nx,1\n") ==
        "labels.csv: no key column: name the answers by \"id\" (the request id) or \"text\" (what was asked); the "
        "columns are: label, when");
  CHECK(error_of(k_log, "id,kind\na,x\n") == "labels.csv: no column 'label' (the header has: id, kind)");
  CHECK(error_of(k_log, "id,label\na,x,y\n") == "labels.csv:2: expected 2 fields, got 3");
  CHECK(error_of("{\"id\": \"a\"}\nnot json\n", "id,label\na,x\n") ==
        "predictions.jsonl:1: the answer is not logged (serving.logger.mode must be all or response)");
  CHECK(error_of(std::string(R"({"id":"a","label":1})") + "\n[1]\n", "id,label\na,x\n") ==
        "predictions.jsonl:2: not a JSON object (kf-server --log-file writes one per line)");
  CHECK(error_of(std::string(R"({"id":"b","index":"b","label":0})") + "\n", "id,label\nb,0\n") ==
        "predictions.jsonl:1: \"id\" must be a string, \"index\" a count and \"confidence\" a number");
  CHECK(error_of(std::string(R"({"id":7,"index":0,"label":0})") + "\n", "id,label\nb,0\n") ==
        "predictions.jsonl:1: \"id\" must be a string, \"index\" a count and \"confidence\" a number");
  // A model without class names logs numbers; labels are then numbers too.
  CHECK(action::compare_answers(R"({"id":"a","index":0,"label":3,"confidence":1})", "p.jsonl", "id,label\na,3\n",
                                "l.csv", "label")["correct"] == 1);
}
