// kf-tfevent-collector DIR METRIC...: the metrics in the TensorFlow event
// files under DIR, one JSON object a line ({"METRIC": "VALUE"}), for the
// local Experiment controller, which runs it when a trial's job has ended
// as Katib runs its TensorFlowEvent collector beside the trial's container.
// Files that are not event files are skipped with a warning on stderr.
#include <charconv>
#include <iostream>

#include <nlohmann/json.hpp>

#include "runtime/tfevent/reader.h"

namespace {

// Shortest text that reads back as the same float (values are float32 in
// TensorFlow's summaries), as NumPy prints them ("0.9123").
std::string value_text(double v) {
  char buf[64];
  const auto f = static_cast<float>(v);
  const bool single = static_cast<double>(f) == v;
  const auto r = single ? std::to_chars(buf, buf + sizeof buf, f) : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3 || std::string(argv[1]) == "--help") {
    std::cerr << "usage: kf-tfevent-collector DIR METRIC...\n"
                 "  prints the metrics logged in the TensorFlow event files under DIR, one JSON object a line;\n"
                 "  METRIC is a tag (accuracy) or a tag under a directory of DIR (test/accuracy)\n";
    return argc >= 2 && std::string(argv[1]) == "--help" ? 0 : 2;
  }
  std::vector<std::string> metrics(argv + 2, argv + argc);
  std::vector<std::string> warnings;
  try {
    for (const auto& m : kf::tfevent::collect(argv[1], metrics, warnings))
      std::cout << nlohmann::json{{m.name, value_text(m.value)}}.dump() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "kf-tfevent-collector: error: " << e.what() << '\n';
    return 1;
  }
  for (const auto& w : warnings) std::cerr << "kf-tfevent-collector: " << w << '\n';
  std::cout.flush();
  return std::cout ? 0 : 1;
}
