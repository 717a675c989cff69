// libFuzzer target: any bytes as a registry's answer to `kf build` pulling a
// base image (libkf/image/base.cpp): an image index or manifest list
// (pick_platform), an image manifest (read_image_manifest) and an image
// config (read_image_config). A registry is outside input: the wrong shape
// may only raise kf::Error, never nlohmann's exceptions ("internal error").
#include <cstdint>
#include <string>
#include <vector>

#include "libkf/image/base.h"
#include "libkf/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const kf::Json index = kf::Json::parse(bytes, nullptr, false);
  if (!index.is_discarded()) {
    std::vector<std::string> offered;
    (void)kf::image::pick_platform(index, "amd64", &offered);
  }
  try {
    (void)kf::image::read_image_manifest(bytes, "fuzz/base:1");
  } catch (const kf::Error&) {
  }
  try {
    (void)kf::image::read_image_config(bytes, "fuzz/base:1", "amd64");
  } catch (const kf::Error&) {
  }
  return 0;
}
