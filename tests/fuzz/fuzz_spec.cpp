// libFuzzer target: any bytes as kf.yaml. Parsing, --set style overrides and
// decoding may reject the input only with kf::SpecError / kf::UsageError —
// never crash, hang, leak or throw anything else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libkf/spec/decode.h"
#include "libkf/spec/load.h"
#include "libkf/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // The first line, when it holds '=', doubles as a --set assignment.
    const auto nl = text.find('\n');
    const std::string first = text.substr(0, nl);
    auto root = kf::yaml::parse(text, "kf.yaml");
    if (first.find('=') != std::string::npos) kf::spec::apply_set(root, first);
    (void)kf::spec::decode_project(root);
  } catch (const kf::SpecError&) {
  } catch (const kf::UsageError&) {
  }
  return 0;
}
