#pragma once
// SHA-256 through OpenSSL's EVP interface: a streaming hasher giving hex.
// One instance per stream, not thread-safe. Used for OCI content addresses
// (libkf/image) and artifact digests (libkf/metadata).

#include <memory>
#include <string>
#include <string_view>

namespace kf {

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

} // namespace kf
