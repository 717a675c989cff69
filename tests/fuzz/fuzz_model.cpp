// libFuzzer target: what kf-server loads from a model directory. An even
// first byte: the rest as model.safetensors (runtime/safetensors.cpp); an odd
// one: the rest as model.json, read into a model configuration
// (runtime/export.cpp model_config_from_json). Bad files may only raise
// kf::Error (JSON that does not parse is the caller's parse error).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/error.h"
#include "runtime/export.h"
#include "runtime/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if ((data[0] & 1) == 0) {
      (void)kf::trainer::decode_safetensors(rest, "fuzz.safetensors");
    } else {
      const auto j = nlohmann::json::parse(rest, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) return 0;
      (void)kf::trainer::model_config_from_json(j);
    }
  } catch (const kf::Error&) {
  }
  return 0;
}
