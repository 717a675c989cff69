#pragma once
// kube-sim's TLS material, made fresh at every start with OpenSSL: a CA, a
// server certificate for the addresses it serves, and a client certificate
// (CN=kube-sim-admin, O=system:masters) that the server accepts, as a
// kubeadm cluster's admin.conf would carry. Keys are EC P-256; certificates
// are valid from an hour ago for 30 days. Everything is PEM text; the
// functions throw std::runtime_error with OpenSSL's reason.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

struct ssl_ctx_st;
struct ssl_st;

namespace kubesim::tls {

struct KeyPair {
  std::string cert; // PEM certificate
  std::string key;  // PEM private key (PKCS#8)
};

struct Material {
  KeyPair ca, server, client;
};

// `hosts` become the server certificate's subjectAltNames: an IP address
// as IP:, anything else as DNS:. The client certificate is signed by the
// same CA.
Material generate(const std::vector<std::string>& hosts);

// ca.crt, server.crt, server.key, client.crt, client.key in `dir` (created
// when missing; keys are 0600).
void write_dir(const Material& m, const std::filesystem::path& dir);

// Sets up an SSL_CTX to serve m.server and to ask for, but not require, a
// client certificate, which must then chain to m.ca (otherwise the
// handshake fails, as kube-apiserver's does).
void configure_server(ssl_ctx_st& ctx, const Material& m);

// The user of a TLS connection whose client certificate was verified
// against the CA: its CN; nullopt when no certificate was presented.
std::optional<std::string> peer_user(const ssl_st* ssl);

// Standard base64 with padding, on one line (for kubeconfig *-data fields).
std::string base64(const std::string& bytes);

} // namespace kubesim::tls
