// libFuzzer target: the metrics Katib's collectors read from a trial
// (libkf/local/trial.cpp parse_metrics). The input is split at its first
// NUL: a metricsFormat (a Go regexp, RE2) before it, the trial's output
// after it, read by that format (StdOut, File TEXT) and as File JSON lines.
// Nothing may crash, hang or recurse out of stack (std::regex did, on one
// long line); only wanted names come back.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "libkf/local/experiment_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string format(input.substr(0, nul));
  const std::string text(nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1));
  const std::vector<std::string> wanted = {"accuracy", "loss", ""};
  kf::local::CollectorSpec by_format, json;
  by_format.metrics_format = {format, R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))"};
  json.kind = "File";
  json.file_format = "JSON";
  for (const auto* c : {&by_format, &json})
    for (const auto& m : kf::local::parse_metrics(*c, text, wanted))
      if (std::find(wanted.begin(), wanted.end(), m.name) == wanted.end()) std::abort();
  return 0;
}
