#pragma once
// The OCI image model kf builds and moves around (image-spec v1.1): media
// types, descriptors, a content-addressed blob store, and the two on-disk
// outputs: an OCI image layout directory and a docker-archive tarball (what
// `docker load` reads).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "libkf/util/json.h"

namespace kf::image {

namespace media {
inline constexpr const char* k_oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* k_oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* k_oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* k_oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* k_oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* k_docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* k_docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* k_docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* k_docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
} // namespace media

struct Descriptor {
  std::string media_type;
  std::string digest; // "sha256:…"
  std::uint64_t size = 0;
  Json to_json() const;
};

// blobs/sha256/<hex> under a directory (an OCI layout's, or a cache's).
class BlobStore {
public:
  explicit BlobStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  const std::filesystem::path& dir() const { return m_dir; }
  std::filesystem::path path(const std::string& digest) const;
  bool has(const std::string& digest, std::uint64_t size) const; // present with that size
  // Stores bytes; returns the descriptor.
  Descriptor put(const std::string& media_type, const std::string& bytes);
  // Moves a finished temporary file (in tmp_dir()) into place as `digest`.
  void adopt(const std::filesystem::path& tmp, const std::string& digest);
  std::filesystem::path tmp_dir() const; // created on demand, same file system
  std::string read(const std::string& digest) const;

private:
  std::filesystem::path m_dir;
};

// A built or pulled single-platform image: every blob is in a BlobStore.
struct Image {
  Descriptor manifest;
  std::string manifest_bytes;
  Descriptor config;
  std::string config_bytes;
  std::vector<Descriptor> layers;
  std::vector<std::string> diff_ids;      // from the config
  std::vector<std::string> layer_origins; // per layer: "registry/repository" it came from ("" = built here)
};

// Writes or updates an OCI image layout at `dir`: oci-layout, blobs, and an
// index.json where `ref_name` (org.opencontainers.image.ref.name) names this
// manifest; other entries are kept, an entry with the same name is replaced.
// Blobs no entry references any more are removed when `gc`.
void write_oci_layout(const Image& image, const BlobStore& from, const std::filesystem::path& dir,
                      const std::string& ref_name, bool gc = false);

// Writes a docker-archive tarball: manifest.json ([{Config, RepoTags, Layers}]),
// the config as <hex>.json and each layer uncompressed as <diff_id hex>/layer.tar.
// Reproducible like the layers.
void write_docker_archive(const Image& image, const BlobStore& from, const std::filesystem::path& file,
                          const std::string& repo_tag, std::int64_t mtime);

} // namespace kf::image
