#pragma once
// Base images: pulling one (an image index or docker manifest list picks the
// wanted platform, linux/amd64 for kf's x86-64 trainer), and knowing which
// files its layers leave in the root file system, so that kf adds only the
// libraries the base lacks and never replaces a base directory or symlink.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libkf/image/oci.h"
#include "libkf/image/reference.h"
#include "libkf/image/registry.h"
#include "libkf/util/json.h"

namespace kf::image {

// The root file system of stacked layers, as paths only (no contents).
class RootFs {
public:
  // Applies one layer (tar or tar+gzip): whiteouts (".wh.NAME", ".wh..wh..opq") remove lower entries.
  void add_layer(const std::filesystem::path& blob, bool gzip);
  void add(const std::string& path, char type, const std::string& link = ""); // for tests
  // The entry as stored, without following symlinks ('5' dir, '2' symlink, '0' file), or nullopt.
  std::optional<char> type_of(const std::string& path) const;
  // True when the path exists once symlinks (also in its directories) are followed.
  bool exists(const std::string& path) const;
  // The real path (symlinks followed, relative) of a file named `name`,
  // preferring the loader's default directories; nullopt when none.
  std::optional<std::string> find_named(const std::string& name) const;
  std::size_t size() const { return m_entries.size(); }

private:
  std::optional<std::string> resolve(const std::string& path) const;
  struct Entry {
    char type;
    std::string link;
  };
  std::map<std::string, Entry> m_entries;
};

struct BaseImage {
  Reference ref;
  std::string digest;   // of the platform manifest that was picked
  Image image;          // layers (OCI media types), config; blobs in the store
  Json config;          // the base's image config
  RootFs files;
};

// Pulls `ref` for linux/`architecture` into `store` (blobs already there
// are not fetched again). Throws kf::Error naming the platforms on offer
// when the wanted one is missing.
BaseImage pull_base(RegistryClient& client, const Reference& ref, const std::string& architecture, BlobStore& store,
                    const BlobCallback& progress = {});

// Picks linux/`architecture` from an image index or manifest list; nullopt
// when absent. `offered` gets every "os/arch[/variant]" it lists.
std::optional<Descriptor> pick_platform(const Json& index, const std::string& architecture, std::vector<std::string>* offered = nullptr);

// What pull_base reads of a registry's answers, which it never trusts to have
// the right shape: anything else is a kf::Error naming `image`.
struct ImageManifest {
  Descriptor config;              // its media type: OCI's
  std::vector<Descriptor> layers; // tar or tar+gzip, with OCI's media types
};
ImageManifest read_image_manifest(const std::string& bytes, const std::string& image);
struct ImageConfig {
  Json config;                       // the whole config (an object)
  std::vector<std::string> diff_ids; // rootfs.diff_ids
};
// Refuses a config for another architecture than `architecture`.
ImageConfig read_image_config(const std::string& bytes, const std::string& image, const std::string& architecture);

} // namespace kf::image
