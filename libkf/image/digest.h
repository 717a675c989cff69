#pragma once
// SHA-256 for OCI content addresses ("sha256:<64 hex>"), through OpenSSL's
// EVP interface. Sha256 is a streaming hasher; one instance per stream, not
// thread-safe.

#include <memory>
#include <string>
#include <string_view>

namespace kf::image {

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::string hex(); // finishes the hash; call once

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

// "sha256:<hex>" of `data`.
std::string digest_of(std::string_view data);

// True for "sha256:" followed by 64 lower-case hex digits.
bool is_digest(std::string_view s);

// The 64 hex digits of a digest ("sha256:abc…" -> "abc…").
std::string digest_hex(const std::string& digest);

} // namespace kf::image
