// libFuzzer target: any bytes as a registry's WWW-Authenticate header
// (RFC 7235 challenges, read by `kf build --push`: libkf/image/auth.cpp).
// Nothing may throw, crash or hang; every challenge has a lower-case scheme
// and lower-case parameter names.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libkf/image/auth.h"

namespace {
bool lower(const std::string& s) {
  for (unsigned char c : s)
    if (std::isupper(c)) return false;
  return true;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string header(reinterpret_cast<const char*>(data), size);
  for (const auto& c : kf::image::parse_www_authenticate(header)) {
    if (c.scheme.empty() || !lower(c.scheme)) std::abort();
    for (const auto& [key, value] : c.params)
      if (!lower(key) || value.size() > size) std::abort();
  }
  return 0;
}
