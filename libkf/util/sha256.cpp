#include "libkf/util/sha256.h"

#include "libkf/lib/crypto.h"

#include <array>

#include "libkf/util/error.h"

namespace kf {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) lib::crypto().MD_CTX_free(ctx);
  }
};

Sha256::Sha256() : m(std::make_unique<Impl>()) {
  m->ctx = lib::crypto().MD_CTX_new();
  if (!m->ctx || lib::crypto().DigestInit_ex(m->ctx, lib::crypto().sha256(), nullptr) != 1) throw Error("cannot initialise sha256 (OpenSSL)");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && lib::crypto().DigestUpdate(m->ctx, data, size) != 1) throw Error("sha256 (OpenSSL) failed");
}

std::string Sha256::hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (lib::crypto().DigestFinal_ex(m->ctx, digest.data(), &size) != 1) throw Error("sha256 (OpenSSL) failed");
  static const char* k_hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0xf];
  }
  return out;
}

} // namespace kf
