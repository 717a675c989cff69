// libFuzzer target: any bytes as a manifest template, evaluated against a
// fixed set of values. Bad templates may only raise kf::SpecError. The
// parsed tree survives yaml_pack.h's round trip, and any bytes given to
// unpack() raise kf::Error at worst.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "libkf/render/template.h"
#include "libkf/util/error.h"
#include "libkf/util/yaml.h"
#include "libkf/util/yaml_pack.h"

namespace {
bool has_float(const kf::Json& v) {
  if (v.is_number_float()) return true;
  if (v.is_structured())
    for (const auto& item : v) if (has_float(item)) return true;
  return false;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kf::Json k_values = kf::Json::parse(R"({
    "project": {"name": "demo", "namespace": "default"},
    "labels": {"app.kubernetes.io/name": "demo"},
    "training": {"workers": 2, "args": ["--lr=0.1"], "none": null, "on": true},
    "steps": [{"name": "a"}, {"name": "b", "deps": ["a"]}]
  })");
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)kf::yaml::unpack(text, "fuzz.pack");
  } catch (const kf::Error&) {
  }
  try {
    const std::string packed = kf::yaml::pack(kf::yaml::parse(text, "fuzz.yaml"));
    if (kf::yaml::pack(kf::yaml::unpack(packed, "fuzz.yaml")) != packed) {
      std::fprintf(stderr, "the packed tree did not survive unpack()\n");
      __builtin_trap();
    }
    const kf::render::Template tmpl(text, "fuzz.yaml");
    const kf::Json out = tmpl.evaluate(k_values);
    // Whatever renders must emit as YAML that reads back as the same data
    // (floats aside: NaN never compares equal, and text may round).
    if (!out.is_null() && !has_float(out)) {
      const std::string emitted = kf::yaml::emit(out);
      const kf::Json back = kf::yaml::to_json(kf::yaml::parse(emitted, "emitted"));
      if (back != out) {
        std::fprintf(stderr, "rendered: %s\nemitted:\n%s\nread back: %s\n", out.dump(-1, ' ', false, kf::Json::error_handler_t::replace).c_str(), emitted.c_str(),
                     back.dump(-1, ' ', false, kf::Json::error_handler_t::replace).c_str());
        __builtin_trap();
      }
    }
  } catch (const kf::SpecError&) {
  }
  return 0;
}
