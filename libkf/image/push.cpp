#include "libkf/image/push.h"

#include "libkf/util/strings.h"

namespace kf::image {

std::string push_image(RegistryClient& client, const Image& image, const BlobStore& store, const std::string& repository,
                       const std::string& tag, std::uint64_t chunk_size, const BlobCallback& progress, PushStats& stats) {
  auto one = [&](const Descriptor& d, const std::string& origin) {
    std::string mount_from;
    // origin is "registry/repository": mount only within the same registry.
    if (!origin.empty() && str::starts_with(origin, client.registry() + "/")) mount_from = origin.substr(client.registry().size() + 1);
    switch (client.push_blob(repository, d, store.path(d.digest), chunk_size, mount_from, progress)) {
    case BlobEvent::State::exists: ++stats.existed; break;
    case BlobEvent::State::mounted: ++stats.mounted; break;
    default:
      ++stats.uploaded;
      stats.bytes_uploaded += d.size;
      break;
    }
  };
  for (std::size_t i = 0; i < image.layers.size(); ++i)
    one(image.layers[i], i < image.layer_origins.size() ? image.layer_origins[i] : "");
  one(image.config, "");
  return client.put_manifest(repository, tag, image.manifest.media_type, image.manifest_bytes);
}

} // namespace kf::image
