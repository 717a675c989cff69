#include "libkf/image/digest.h"

namespace kf::image {

std::string digest_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return "sha256:" + h.hex();
}

bool is_digest(std::string_view s) {
  if (s.size() != 71 || s.substr(0, 7) != "sha256:") return false;
  for (char c : s.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string digest_hex(const std::string& digest) {
  const auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

} // namespace kf::image
