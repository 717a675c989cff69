#pragma once
// Image references as docker and the OCI distribution spec write them:
// [REGISTRY/]REPOSITORY[:TAG][@DIGEST]. A first component without '.' or ':'
// (and not "localhost") is a Docker Hub path: "debian:12" is
// docker.io/library/debian:12, served by registry-1.docker.io.

#include <string>

namespace kf::image {

struct Reference {
  std::string registry;   // "docker.io", "ghcr.io", "127.0.0.1:5000"
  std::string repository; // "library/debian", "acme/mnist-trainer"
  std::string tag;        // "" when only a digest is given
  std::string digest;     // "sha256:…" or ""

  // The host to send requests to (registry-1.docker.io for docker.io).
  std::string api_host() const;
  // "registry/repository" (docker.io kept, library/ kept).
  std::string name() const { return registry + "/" + repository; }
  // What a pull needs: the digest when there is one, else the tag.
  std::string tag_or_digest() const { return digest.empty() ? tag : digest; }
  // "registry/repository:tag", "registry/repository@digest" or both.
  std::string str() const;
};

// Throws kf::UsageError "invalid image reference "X": why". `default_tag`
// fills in a missing tag when there is no digest either.
Reference parse_reference(const std::string& text, const std::string& default_tag = "latest");

} // namespace kf::image
