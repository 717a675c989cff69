#pragma once
// Pushing a built image: every layer, then the config, then the manifest by
// tag — so a push that fails part way leaves no tag pointing at a missing
// blob. Blobs the repository has are not sent again (HEAD); layers of a base
// image from the same registry are mounted from its repository.

#include <cstdint>
#include <string>
#include <vector>

#include "libkf/image/oci.h"
#include "libkf/image/registry.h"

namespace kf::image {

struct PushStats {
  int uploaded = 0, existed = 0, mounted = 0;
  std::uint64_t bytes_uploaded = 0;
};

// Returns the manifest digest as the registry stored it.
std::string push_image(RegistryClient& client, const Image& image, const BlobStore& store, const std::string& repository,
                       const std::string& tag, std::uint64_t chunk_size, const BlobCallback& progress, PushStats& stats);

} // namespace kf::image
