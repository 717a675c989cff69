// libFuzzer target: kf::json::parse against nlohmann's own Json::parse, which
// it replaces everywhere kf reads JSON (libkf/util/json.cpp). For every input
// both give the same value with the same key order, or both refuse it with
// the same exception type and message; anything else aborts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <typeinfo>

#include "libkf/util/json.h"

namespace {

struct Outcome {
  std::string dump;  // the value, as text with its key order ...
  std::string error; // ... or the exception's type and message
};

template <typename Parse> Outcome run(Parse parse) {
  try {
    return {parse().dump(-1, ' ', false, kf::Json::error_handler_t::replace), {}};
  } catch (const kf::Json::exception& e) {
    return {{}, std::string(typeid(e).name()) + ": " + e.what()};
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Outcome ours = run([&] { return kf::json::parse(text); });
  const Outcome theirs = run([&] { return kf::Json::parse(text); });
  if (ours.dump != theirs.dump || ours.error != theirs.error) std::abort();
  if (kf::json::parse_or_discarded(text).is_discarded() != !theirs.error.empty()) std::abort();
  return 0;
}
