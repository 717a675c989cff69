// libFuzzer target: any bytes as a base image's layer (tar, or tar+gzip when
// the first byte is odd), read by `kf build` (libkf/image/tar.cpp read_tar and
// RootFs::add_layer in base.cpp, which refuses members leaving the root file
// system). Bad layers may only raise kf::Error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "libkf/image/base.h"
#include "libkf/util/error.h"

namespace {
std::string scratch_file() {
  static const std::string path = [] {
    char dir[] = "/tmp/fuzz_tar.XXXXXX";
    const char* made = ::mkdtemp(dir);
    return std::string(made ? made : "/tmp") + "/layer";
  }();
  return path;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string path = scratch_file();
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data + 1, 1, size - 1, f);
    std::fclose(f);
  }
  try {
    kf::image::RootFs fs;
    fs.add_layer(path, (data[0] & 1) != 0);
    (void)fs.exists("usr/lib/x86_64-linux-gnu/libc.so.6");
  } catch (const kf::Error&) {
  }
  return 0;
}
