#pragma once
// A fresh directory for one test, removed with everything in it at scope exit.

#include <filesystem>
#include <string>

#include "libkf/util/fs.h"

namespace kf::test {

struct TempDir {
  std::filesystem::path path = fs::make_temp_dir(std::filesystem::temp_directory_path(), "kf-unit");
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  // Writes `text` to path/name and returns the file's path.
  std::string write(const std::string& name, const std::string& text) const {
    fs::write_file_atomic(path / name, text);
    return (path / name).string();
  }
};

} // namespace kf::test
