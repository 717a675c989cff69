#include "libkf/action/version.h"

#include "libkf/version.h"

namespace kf::action {

VersionResult version() {
  VersionResult r;
  r.version = k_version;
#if defined(__clang__)
  r.compiler = "Clang " __clang_version__;
#elif defined(__GNUC__)
  r.compiler = "GCC " __VERSION__;
#else
  r.compiler = "unknown";
#endif
#if defined(__x86_64__)
  r.platform = "linux/amd64";
#elif defined(__aarch64__)
  r.platform = "linux/arm64";
#else
  r.platform = "linux/unknown";
#endif
#ifdef NDEBUG
  r.build = "release";
#else
  r.build = "debug";
#endif
  return r;
}

} // namespace kf::action
