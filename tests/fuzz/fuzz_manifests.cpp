// libFuzzer target: any text as the manifests of `kf apply -f` and
// `kf submit -f` (libkf/platform/objects.cpp parse_manifests: YAML or JSON
// documents, v1 Lists expanded). The CustomResourceDefinitions among them
// go to the structural-schema validator (libkf/render/schema.cpp add_crd),
// which then checks every object of their kinds, as `kf apply` does before
// it sends anything. Bad input may only raise kf::Error (SpecError among
// them): never crash, hang or recurse out of stack.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/platform/objects.h"
#include "libkf/render/schema.h"
#include "libkf/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<kf::platform::Manifest> objects;
  try {
    kf::platform::parse_manifests(text, "fuzz.yaml", "manifests", objects);
  } catch (const kf::Error&) {
    return 0;
  }
  kf::render::SchemaSet schemas;
  for (const auto& m : objects) {
    try {
      if (m.object.value("kind", kf::Json()) == "CustomResourceDefinition") schemas.add_crd(m.object);
    } catch (const kf::Error&) {
    }
  }
  for (const auto& m : objects) {
    try {
      if (schemas.has(m.object.value("apiVersion", ""), m.object.value("kind", "")))
        for (const auto& v : schemas.validate(m.object)) (void)v.str();
    } catch (const kf::Error&) {
    }
  }
  return 0;
}
