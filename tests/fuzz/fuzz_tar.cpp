// libFuzzer target: any bytes as a base image's layer (tar, or tar+gzip when
// the first byte is odd), read by `kf build` (libkf/image/tar.cpp read_tar and
// RootFs::add_layer in base.cpp, which refuses members leaving the root file
// system). Bad layers may only raise kf::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libkf/image/base.h"
#include "libkf/util/error.h"
#include "tests/fuzz/scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string path = kf::fuzz::scratch_file("layer", data + 1, size - 1);
  try {
    kf::image::RootFs fs;
    fs.add_layer(path, (data[0] & 1) != 0);
    (void)fs.exists("usr/lib/x86_64-linux-gnu/libc.so.6");
  } catch (const kf::Error&) {
  }
  return 0;
}
