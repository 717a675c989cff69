// kf predict — libkf/action/predict.cpp.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <numeric>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/runs.h"

namespace kf::cli {

namespace {

// "card_arrival (93.1%)" and the two runners-up.
void print_text_answer(const action::PredictResult& r) {
  std::vector<std::size_t> order(r.probabilities.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return r.probabilities[a] > r.probabilities[b]; });
  auto name = [&](std::size_t i) { return i < r.class_names.size() ? r.class_names[i] : "class " + std::to_string(i); };
  std::cout << (r.predicted_name.empty() ? name(static_cast<std::size_t>(std::max(r.predicted, 0))) : r.predicted_name);
  if (r.predicted >= 0 && static_cast<std::size_t>(r.predicted) < r.probabilities.size())
    std::cout << " (" << percent(r.probabilities[static_cast<std::size_t>(r.predicted)]) << ")";
  std::cout << '\n';
  for (std::size_t k = 1; k < std::min<std::size_t>(order.size(), 3); ++k)
    std::cout << "  then " << name(order[k]) << " (" << percent(r.probabilities[order[k]]) << ")\n";
}

} // namespace

void add_predict(CLI::App& app, Globals& g) {
  struct Flags {
    std::string run;
    int index = 0;
    std::string text;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("predict", "Send a test sample or a text to the served model and print its answer");
  hint(cmd->add_option("run", flags->run, "The serving run (default: the newest one that is Ready)"), Hint{{}, "run"});
  auto* index = cmd->add_option("--index", flags->index, "Which test sample (default 0)")->type_name("N")->check(CLI::NonNegativeNumber);
  cmd->add_option("--text", flags->text, "Send this text to a text model (its class and the runners-up are printed)")
      ->type_name("TEXT")
      ->excludes(index);
  cmd->footer("Reads sample N of the IDX test set (t10k-*) beside the data the model was trained on and POSTs it, as "
              "UINT8, to /v2/models/RUN/infer; with --text, POSTs the text as a BYTES input for the server to "
              "tokenize. -o json prints the server's answer.\n\n"
              "Examples:\n"
              "  kf predict\n"
              "  kf predict mnist-1 --index 42 -o json\n"
              "  kf predict --text \"my card has not arrived yet\"");
  on_run(*cmd, g, [flags, cmd](Session& s) {
    auto pt = s.open();
    action::PredictOptions o{flags->run, flags->index, std::nullopt};
    if (cmd->count("--text") > 0) o.text = flags->text;
    const auto r = action::predict(s.ctx, o, pt);
    if (s.g.output == "json" || s.g.output == "yaml") {
      print_data(r.response, s.g.output);
      return 0;
    }
    if (o.text) {
      print_text_answer(r);
      return 0;
    }
    std::cout << "sample " << r.index << " of " << r.test_set << ": label " << r.label << ", predicted " << r.predicted;
    if (r.predicted >= 0 && static_cast<std::size_t>(r.predicted) < r.probabilities.size())
      std::cout << " (p=" << std::to_string(r.probabilities[static_cast<std::size_t>(r.predicted)]).substr(0, 5) << ")";
    std::cout << (r.label == r.predicted ? " - correct" : " - wrong") << '\n';
    return 0;
  });
}

} // namespace kf::cli
