#pragma once
// OpenSSL's libcrypto, opened on first use (loader.h): lib::crypto().DigestUpdate(...) for EVP_DigestUpdate(...).
#include <openssl/evp.h>

#include "libkf/lib/loader.h"

#define KF_CRYPTO_FUNCTIONS(X) X(MD_CTX_new) X(MD_CTX_free) X(sha256) X(DigestInit_ex) X(DigestUpdate) X(DigestFinal_ex)

namespace kf::lib {

struct Crypto {
#define KF_CRYPTO_FIELD(name) KF_LIB_FIELD(EVP_, name)
  KF_CRYPTO_FUNCTIONS(KF_CRYPTO_FIELD)
#undef KF_CRYPTO_FIELD
};

const Crypto& crypto();

} // namespace kf::lib
