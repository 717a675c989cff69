#pragma once
// For fuzz targets whose parser reads a file: the input's bytes written to
// one file of a private directory made once per process.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace kf::fuzz {

// Writes data[0, size) to "<dir>/<name>" and returns that path.
inline std::string scratch_file(const char* name, const std::uint8_t* data, std::size_t size) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/kf-fuzz.XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    return std::string(made ? made : "/tmp");
  }();
  const std::string path = dir + "/" + name;
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

} // namespace kf::fuzz
