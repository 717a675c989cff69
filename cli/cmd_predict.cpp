// kf predict — libkf/action/predict.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_predict(CLI::App& app, Globals& g) {
  struct Flags {
    std::string run;
    int index = 0;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("predict", "Send a sample of the test set to the served model and print its answer");
  hint(cmd->add_option("run", flags->run, "The serving run (default: the newest one that is Ready)"), Hint{{}, "run"});
  cmd->add_option("--index", flags->index, "Which test sample (default 0)")->type_name("N")->check(CLI::NonNegativeNumber);
  cmd->footer("Reads sample N of the IDX test set (t10k-*) beside the data the model was trained on and POSTs it, as "
              "UINT8, to /v2/models/RUN/infer. -o json prints the server's answer.\n\n"
              "Examples:\n"
              "  kf predict\n"
              "  kf predict mnist-1 --index 42 -o json");
  on_run(*cmd, g, [flags](Session& s) {
    auto pt = s.open();
    const auto r = action::predict(s.ctx, action::PredictOptions{flags->run, flags->index}, pt);
    if (s.g.output == "json" || s.g.output == "yaml") {
      print_data(r.response, s.g.output);
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
