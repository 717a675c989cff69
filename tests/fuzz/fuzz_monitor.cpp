// libFuzzer target: `kf monitor`'s comparison (libkf/action/monitor.cpp) of
// a model server's answer log with a labels table. The input is split at
// its first NUL: the log (JSON lines) before it, the labels after it, read
// as CSV, TSV and JSON lines in turn. Nothing may crash, hang or leak; bad
// input is a kf::Error; the counts add up (correct <= matched <= answers,
// an accuracy in [0, 1]).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libkf/action/monitor.h"
#include "libkf/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view log = input.substr(0, nul);
  const std::string_view labels = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  for (const char* path : {"labels.csv", "labels.tsv", "labels.jsonl"}) {
    try {
      const kf::Json r = kf::action::compare_answers(log, "log.jsonl", labels, path, "label");
      const auto answers = r["answers"].get<std::size_t>(), matched = r["matched"].get<std::size_t>();
      const auto correct = r["correct"].get<std::size_t>();
      if (correct > matched || matched > answers) std::abort();
      if (r.contains("accuracy") && !(r["accuracy"].get<double>() >= 0.0 && r["accuracy"].get<double>() <= 1.0)) std::abort();
    } catch (const kf::Error&) {
      // a clear message for bad input
    }
  }
  return 0;
}
