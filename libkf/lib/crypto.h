#pragma once
// OpenSSL's libcrypto, opened on first use (loader.h): lib::crypto().DigestUpdate(...) for EVP_DigestUpdate(...).
#include <openssl/evp.h>

#include "libkf/lib/loader.h"

#define KF_CRYPTO_FUNCTIONS(X, P)                                                                                     \
  X(P, MD_CTX_new) X(P, MD_CTX_free) X(P, sha256) X(P, DigestInit_ex) X(P, DigestUpdate) X(P, DigestFinal_ex)

namespace kf::lib {

struct Crypto {
  KF_CRYPTO_FUNCTIONS(KF_LIB_FIELD, EVP_)
};

const Crypto& crypto();

} // namespace kf::lib
