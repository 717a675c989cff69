#pragma once
// A client for one registry that speaks the OCI distribution API (docker's
// registry v2 API): blob HEAD, uploads (monolithic PUT, or PATCH chunks then
// PUT), cross-repository mounts, manifest PUT by tag, and pulls of manifests
// (image indexes and docker manifest lists too) and blobs, each verified
// against its digest.
//
// Auth: the first 401 tells which scheme the registry wants. Basic: the
// credentials for this registry from the docker config (auth.h). Bearer: a
// token from the challenge's realm for the request's scope
// ("repository:acme/app:pull,push"), asked for with those credentials when
// there are any (anonymous otherwise), cached per scope. Credentials and
// tokens never reach messages or the request log.
//
// `insecure` talks plain http; otherwise https, verified against the system
// CAs or `ca_file`. Not thread-safe: one client per thread.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libkf/image/auth.h"
#include "libkf/http/http.h"
#include "libkf/image/oci.h"

namespace kf::image {

struct RegistryOptions {
  bool insecure = false;    // plain http (--insecure)
  std::string ca_file;      // "" = the system CAs (--ca-file)
  AuthOptions auth;
  std::function<void(const std::string&)> log; // one line per request: "PUT /v2/…/manifests/v1 -> 201"
};

// What happened to a blob during a push, for progress displays.
struct BlobEvent {
  enum class State { checking, exists, mounted, uploading, uploaded };
  std::string digest;
  std::uint64_t size = 0;
  std::uint64_t done = 0; // bytes sent so far (uploading)
  State state = State::checking;
};
using BlobCallback = std::function<void(const BlobEvent&)>;

class RegistryClient {
public:
  RegistryClient(std::string registry, RegistryOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const std::string& registry() const { return m_registry; }

  // GET /v2/: is it there, and which auth does it want. Throws kf::Error
  // "cannot reach registry HOST: …" or an auth error.
  void ping();

  bool blob_exists(const std::string& repo, const std::string& digest);

  // Pushes one blob unless the repository has it: HEAD, then a mount from
  // `mount_from` (another repository of this registry; "" = none), else an
  // upload (chunks of `chunk_size` bytes when the blob is larger; 0 = one PUT).
  // Returns the final state: exists, mounted or uploaded.
  BlobEvent::State push_blob(const std::string& repo, const Descriptor& blob, const std::filesystem::path& file,
                             std::uint64_t chunk_size, const std::string& mount_from, const BlobCallback& progress);

  // PUT /v2/<repo>/manifests/<tag>; returns the digest the registry reports.
  std::string put_manifest(const std::string& repo, const std::string& tag, const std::string& media_type,
                           const std::string& bytes);

  struct Manifest {
    std::string media_type, bytes, digest;
  };
  // GET a manifest or index by tag or digest (verified when a digest).
  Manifest get_manifest(const std::string& repo, const std::string& reference);

  // GET a blob into the store (verified against its digest and size).
  void get_blob(const std::string& repo, const Descriptor& blob, BlobStore& store, const BlobCallback& progress);

private:
  http::Response send(http::Request req, const std::vector<std::string>& scopes);
  void authorize(http::Request& req, const std::vector<std::string>& scopes);
  void on_challenge(const http::Response& res, const std::vector<std::string>& scopes, bool retried);
  void fetch_token(const Challenge& c, const std::vector<std::string>& scopes);
  const std::optional<Credentials>& credentials();
  [[noreturn]] void fail(const std::string& what, const http::Response& res) const;
  std::string url(const std::string& path) const;
  std::string location(const http::Response& res, const std::string& what) const;

  std::string m_registry; // as in references: "127.0.0.1:5000", "docker.io"
  std::string m_base;     // "https://registry-1.docker.io"
  RegistryOptions m_options;
  std::unique_ptr<http::Client> m_http;
  std::string m_scheme;   // "", "basic" or "bearer": what the registry asked for
  std::map<std::string, std::string> m_tokens; // scope set -> bearer token
  std::optional<std::optional<Credentials>> m_creds;
};

// The text of a registry error response: "400 Bad Request: MANIFEST_BLOB_UNKNOWN:
// blob unknown to registry", or the status alone when the body has no errors array.
std::string registry_error_text(const http::Response& res);

} // namespace kf::image
