#include "libkf/local/process.h"

#include <cstdlib>

#include "libkf/util/error.h"

namespace kf::local {

std::vector<std::pair<std::string, std::string>> base_environment() {
  std::vector<std::pair<std::string, std::string>> env;
  for (const char* name : {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ"})
    if (const char* v = std::getenv(name)) env.emplace_back(name, v);
  bool has_path = false;
  for (const auto& e : env) has_path = has_path || e.first == "PATH";
  if (!has_path) env.emplace_back("PATH", "/usr/local/bin:/usr/bin:/bin");
  return env;
}

std::filesystem::path self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find kf's own executable: " + ec.message());
  return p;
}

} // namespace kf::local
