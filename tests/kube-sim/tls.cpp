#include "tests/kube-sim/tls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "libkf/util/fs.h"

namespace kubesim::tls {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using KeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void fail(const std::string& what) {
  char reason[256] = "unknown error";
  if (const unsigned long e = ERR_get_error()) ERR_error_string_n(e, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error("TLS: " + what + ": " + reason);
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

Key ec_key() {
  KeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1)
    fail("EC key generation");
  EVP_PKEY* key = nullptr;
  check(EVP_PKEY_generate(ctx.get(), &key), "EC key generation");
  return Key(key);
}

void add_name(X509_NAME* name, const char* field, const std::string& value) {
  check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC, reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0),
        "certificate name");
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) fail("certificate extension " + value);
  check(X509_add_ext(cert, ext.get(), -1), "certificate extension");
}

// A certificate for `key` named by `subject` (CN, then O entries), signed by
// issuer/issuer_key, or self-signed when issuer is null.
Cert make_cert(EVP_PKEY* key, const std::string& cn, const std::vector<std::string>& orgs, X509* issuer,
               EVP_PKEY* issuer_key, const std::vector<std::pair<int, std::string>>& exts) {
  Cert cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), 2), "certificate version");
  unsigned char serial[8];
  check(RAND_bytes(serial, sizeof serial), "certificate serial");
  serial[0] &= 0x7f; // positive, as Go requires
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("certificate serial");
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600))
    fail("certificate validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : orgs) add_name(name, "O", o);
  add_name(name, "CN", cn);
  X509* signer = issuer ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)), "certificate issuer");
  check(X509_set_pubkey(cert.get(), key), "certificate key");
  for (const auto& [nid, value] : exts) add_ext(cert.get(), signer, nid, value);
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) fail("certificate signature");
  return cert;
}

std::string pem_of(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM certificate");
  char* data = nullptr;
  const long n = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data); // BIO_get_mem_data, without its C cast
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) fail("PEM key");
  char* data = nullptr;
  const long n = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data); // BIO_get_mem_data, without its C cast
  return std::string(data, static_cast<std::size_t>(n));
}

Bio mem_bio(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) fail("BIO_new_mem_buf");
  return bio;
}

Cert read_cert(const std::string& pem) {
  Bio bio = mem_bio(pem);
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("reading a PEM certificate");
  return cert;
}

Key read_key(const std::string& pem) {
  Bio bio = mem_bio(pem);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) fail("reading a PEM key");
  return key;
}

bool is_ip(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

} // namespace

Material generate(const std::vector<std::string>& hosts) {
  Material m;
  const Key ca_key = ec_key();
  const Cert ca = make_cert(ca_key.get(), "kube-sim-ca", {}, nullptr, nullptr,
                            {{NID_basic_constraints, "critical,CA:TRUE"},
                             {NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"},
                             {NID_subject_key_identifier, "hash"}});
  std::string san;
  std::vector<std::string> seen;
  for (const auto& h : hosts) {
    if (h.empty() || std::find(seen.begin(), seen.end(), h) != seen.end()) continue;
    seen.push_back(h);
    san += (san.empty() ? "" : ",") + std::string(is_ip(h) ? "IP:" : "DNS:") + h;
  }
  const Key server_key = ec_key();
  const Cert server = make_cert(server_key.get(), "kube-sim", {}, ca.get(), ca_key.get(),
                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                 {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                 {NID_ext_key_usage, "serverAuth"},
                                 {NID_authority_key_identifier, "keyid"},
                                 {NID_subject_alt_name, san}});
  const Key client_key = ec_key();
  const Cert client = make_cert(client_key.get(), "kube-sim-admin", {"system:masters"}, ca.get(), ca_key.get(),
                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                 {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                 {NID_ext_key_usage, "clientAuth"},
                                 {NID_authority_key_identifier, "keyid"}});
  m.ca = {pem_of(ca.get()), pem_of(ca_key.get())};
  m.server = {pem_of(server.get()), pem_of(server_key.get())};
  m.client = {pem_of(client.get()), pem_of(client_key.get())};
  return m;
}

void write_dir(const Material& m, const std::filesystem::path& dir) {
  namespace stdfs = std::filesystem;
  stdfs::create_directories(dir);
  const auto key_perms = stdfs::perms::owner_read | stdfs::perms::owner_write;
  kf::fs::write_file_atomic(dir / "ca.crt", m.ca.cert);
  kf::fs::write_file_atomic(dir / "server.crt", m.server.cert);
  kf::fs::write_file_atomic(dir / "server.key", m.server.key, key_perms);
  kf::fs::write_file_atomic(dir / "client.crt", m.client.cert);
  kf::fs::write_file_atomic(dir / "client.key", m.client.key, key_perms);
}

void configure_server(SSL_CTX& ctx, const Material& m) {
  const Cert cert = read_cert(m.server.cert);
  const Key key = read_key(m.server.key);
  const Cert ca = read_cert(m.ca.cert);
  check(SSL_CTX_use_certificate(&ctx, cert.get()), "server certificate");
  check(SSL_CTX_use_PrivateKey(&ctx, key.get()), "server key");
  check(SSL_CTX_check_private_key(&ctx), "server key");
  check(X509_STORE_add_cert(SSL_CTX_get_cert_store(&ctx), ca.get()), "client CA");
  check(SSL_CTX_add_client_CA(&ctx, ca.get()), "client CA");
  // Send the server certificate alone, as kube-apiserver does, not the chain
  // OpenSSL would build from the CA just added for client certificates.
  SSL_CTX_set_mode(&ctx, SSL_MODE_NO_AUTO_CHAIN);
  // Clients resume sessions; OpenSSL refuses that under SSL_VERIFY_PEER without an id context.
  static const unsigned char k_context[] = "kube-sim";
  check(SSL_CTX_set_session_id_context(&ctx, k_context, sizeof k_context - 1), "session id context");
  // PEER without FAIL_IF_NO_PEER_CERT: a certificate is asked for, verified
  // when given, and optional (tokens and basic auth still work).
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
}

std::optional<std::string> peer_user(const SSL* ssl) {
  if (!ssl) return std::nullopt;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  X509_NAME* name = X509_get_subject_name(cert);
  const int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return std::string();
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)), static_cast<std::size_t>(ASN1_STRING_length(cn)));
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

} // namespace kubesim::tls
