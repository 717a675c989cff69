#pragma once
// OCI content addresses ("sha256:<64 hex>"), hashed by kf::Sha256 (util/sha256.h).

#include <string>
#include <string_view>

#include "libkf/util/sha256.h"

namespace kf::image {

// "sha256:<hex>" of `data`.
std::string digest_of(std::string_view data);

// True for "sha256:" followed by 64 lower-case hex digits.
bool is_digest(std::string_view s);

// The 64 hex digits of a digest ("sha256:abc…" -> "abc…").
std::string digest_hex(const std::string& digest);

} // namespace kf::image
