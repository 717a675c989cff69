#pragma once
// Helpers shared by kf-trainer's unit tests.

#include <unistd.h>

#include <exception>
#include <filesystem>
#include <string>

namespace kf::trainer::test {

// The message of the exception `f` throws ("" if none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A fresh, empty directory "kf-trainer-<prefix>-<name>-<pid>" under the system temp dir.
inline std::filesystem::path temp_dir(const std::string& prefix, const std::string& name) {
  const std::filesystem::path d =
      std::filesystem::temp_directory_path() / ("kf-trainer-" + prefix + "-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

} // namespace kf::trainer::test
