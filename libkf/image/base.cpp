#include "libkf/image/base.h"

#include "libkf/image/tar.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::image {

void RootFs::add(const std::string& path, char type, const std::string& link) {
  if (path.empty()) return;
  m_entries[path] = Entry{type, link};
}

namespace {

// A base image's layer is unpacked by whoever runs the image: kf refuses
// one that would write outside the root file system ("zip-slip": a '..'
// component, or a hard link through one) or create a device node.
void check_member(const std::filesystem::path& blob, const TarMember& m) {
  const auto refuse = [&](const std::string& why) {
    const std::string digest = blob.parent_path().filename().string() + ":" + blob.filename().string();
    throw Error("base image layer " + digest + ": member '" + m.path + "' " + why + "; kf build refuses such a layer");
  };
  for (const std::string& part : str::split(m.path, '/'))
    if (part == "..") refuse("leaves the image's root file system ('..')");
  if (m.type == '1')
    for (const std::string& part : str::split(m.link, '/'))
      if (part == "..") refuse("is a hard link to '" + m.link + "', outside the image's root file system");
  if (m.type == '3' || m.type == '4') refuse(std::string("is a ") + (m.type == '3' ? "character" : "block") + " device");
}

} // namespace

void RootFs::add_layer(const std::filesystem::path& blob, bool gzip) {
  std::vector<TarMember> members;
  read_tar(blob, gzip, [&](const TarMember& m) {
    check_member(blob, m);
    members.push_back(m);
  });
  // Whiteouts apply to the lower layers only, so they go first.
  for (const auto& m : members) {
    const auto slash = m.path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : m.path.substr(0, slash);
    const std::string base = slash == std::string::npos ? m.path : m.path.substr(slash + 1);
    if (base == ".wh..wh..opq") {
      const std::string prefix = dir.empty() ? "" : dir + "/";
      for (auto it = m_entries.lower_bound(prefix); it != m_entries.end() && str::starts_with(it->first, prefix);)
        it = m_entries.erase(it);
    } else if (str::starts_with(base, ".wh.")) {
      const std::string gone = (dir.empty() ? "" : dir + "/") + base.substr(4);
      m_entries.erase(gone);
      const std::string prefix = gone + "/";
      for (auto it = m_entries.lower_bound(prefix); it != m_entries.end() && str::starts_with(it->first, prefix);)
        it = m_entries.erase(it);
    }
  }
  for (const auto& m : members) {
    const auto slash = m.path.rfind('/');
    const std::string base = slash == std::string::npos ? m.path : m.path.substr(slash + 1);
    if (str::starts_with(base, ".wh.")) continue;
    add(m.path, m.type == '7' ? '0' : m.type, m.link);
  }
}

std::optional<char> RootFs::type_of(const std::string& path) const {
  auto it = m_entries.find(path);
  if (it == m_entries.end()) return std::nullopt;
  return it->second.type;
}

// Walks `path` component by component like the kernel: `done` holds the
// components so far, `pending` what is left; a symbolic link replaces its own
// component by its target's components, followed by the rest of `pending`.
std::optional<std::string> RootFs::resolve(const std::string& path) const {
  std::vector<std::string> pending = str::split(path, '/');
  std::vector<std::string> done;
  int links = 0;
  std::size_t i = 0;
  while (i < pending.size()) {
    const std::string part = pending[i++];
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    const std::string cur = str::join(done, "/");
    auto it = m_entries.find(cur);
    if (it == m_entries.end()) {
      // A directory may be implied by its children without its own entry.
      auto child = m_entries.lower_bound(cur + "/");
      if (child != m_entries.end() && str::starts_with(child->first, cur + "/")) continue;
      return std::nullopt;
    }
    if (it->second.type != '2') continue;
    if (++links > 40) return std::nullopt;
    done.pop_back();
    const std::string& link = it->second.link;
    if (!link.empty() && link.front() == '/') done.clear();
    std::vector<std::string> rest = str::split(link, '/');
    rest.insert(rest.end(), pending.begin() + static_cast<std::ptrdiff_t>(i), pending.end());
    pending = std::move(rest);
    i = 0;
  }
  return str::join(done, "/");
}

bool RootFs::exists(const std::string& path) const { return resolve(path).has_value(); }

std::optional<std::string> RootFs::find_named(const std::string& name) const {
  static const std::vector<std::string> k_preferred = {"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64",
                                                       "usr/lib64", "lib", "usr/lib", "lib/aarch64-linux-gnu",
                                                       "usr/lib/aarch64-linux-gnu"};
  for (const auto& dir : k_preferred)
    if (auto real = resolve(dir + "/" + name)) return real;
  for (const auto& [path, entry] : m_entries) {
    if (entry.type == '5') continue;
    const auto slash = path.rfind('/');
    if ((slash == std::string::npos ? path : path.substr(slash + 1)) == name)
      if (auto real = resolve(path)) return real;
  }
  return std::nullopt;
}

namespace {

// A descriptor of a registry's JSON, read without trusting its shape: a
// missing or mistyped field reads as "" or 0, which the checks after it refuse.
Descriptor descriptor_of(const Json& d, const std::string& default_media_type) {
  const Json& size = json_field(d, "size");
  const std::string media_type = json_text(d, "mediaType");
  return Descriptor{media_type.empty() ? default_media_type : media_type, json_text(d, "digest"),
                    size.is_number_unsigned() ? size.get<std::uint64_t>() : 0};
}

Json parse_json(const std::string& bytes, const std::string& what) {
  try {
    return json::parse(bytes);
  } catch (const Json::exception&) {
    throw Error(what + " is not JSON");
  }
}

} // namespace

std::optional<Descriptor> pick_platform(const Json& index, const std::string& architecture, std::vector<std::string>* offered) {
  const Json& manifests = json_field(index, "manifests");
  if (!manifests.is_array()) return std::nullopt;
  std::optional<Descriptor> picked;
  for (const auto& m : manifests) {
    const Json& p = json_field(m, "platform");
    const std::string os = json_text(p, "os"), arch = json_text(p, "architecture"), variant = json_text(p, "variant");
    if (offered) offered->push_back(os + "/" + arch + (variant.empty() ? "" : "/" + variant));
    if (!picked && os == "linux" && arch == architecture) picked = descriptor_of(m, media::k_oci_manifest);
  }
  return picked;
}

ImageManifest read_image_manifest(const std::string& bytes, const std::string& image) {
  const Json j = parse_json(bytes, image + ": the registry's manifest");
  ImageManifest m;
  // Docker's config type or OCI's: kf's image carries it as OCI's.
  m.config = descriptor_of(json_field(j, "config"), "");
  m.config.media_type = media::k_oci_config;
  if (!is_digest(m.config.digest)) throw Error("the base image " + image + " has no config digest");
  const Json& layers = json_field(j, "layers");
  if (!layers.is_array() && !layers.is_null()) throw Error("the base image " + image + ": its manifest's layers is not a list");
  for (const auto& l : layers) {
    Descriptor d = descriptor_of(l, "");
    const std::string mt = d.media_type;
    if (mt == media::k_docker_layer_gzip || mt == media::k_oci_layer_gzip) d.media_type = media::k_oci_layer_gzip;
    else if (mt == media::k_oci_layer_tar || mt == "application/vnd.docker.image.rootfs.diff.tar") d.media_type = media::k_oci_layer_tar;
    else throw Error("the base image " + image + " has a layer of type " + mt + ", which kf cannot build on");
    if (!is_digest(d.digest)) throw Error("the base image " + image + " has a layer without a digest");
    m.layers.push_back(d);
  }
  return m;
}

ImageConfig read_image_config(const std::string& bytes, const std::string& image, const std::string& architecture) {
  ImageConfig c;
  c.config = parse_json(bytes, image + ": the registry's image config");
  if (!c.config.is_object()) throw Error("the base image " + image + ": its config is not a JSON object");
  const std::string arch = json_text(c.config, "architecture");
  if (!arch.empty() && arch != architecture) throw Error("the base image " + image + " is for " + arch + ", not " + architecture);
  const Json& diff_ids = json_field(json_field(c.config, "rootfs"), "diff_ids");
  if (!diff_ids.is_array() && !diff_ids.is_null()) throw Error("the base image " + image + ": its config's rootfs.diff_ids is not a list");
  for (const auto& d : diff_ids) {
    if (!d.is_string() || !is_digest(d.get<std::string>()))
      throw Error("the base image " + image + ": its config's rootfs.diff_ids holds " + d.dump() + ", not a digest");
    c.diff_ids.push_back(d.get<std::string>());
  }
  return c;
}

BaseImage pull_base(RegistryClient& client, const Reference& ref, const std::string& architecture, BlobStore& store,
                    const BlobCallback& progress) {
  BaseImage b;
  b.ref = ref;
  auto m = client.get_manifest(ref.repository, ref.tag_or_digest());
  const Json j = parse_json(m.bytes, ref.str() + ": the registry's manifest");
  if (m.media_type == media::k_oci_index || m.media_type == media::k_docker_list || json_field(j, "manifests").is_array()) {
    std::vector<std::string> offered;
    const auto pick = pick_platform(j, architecture, &offered);
    if (!pick)
      throw Error("the base image " + ref.str() + " has no linux/" + architecture + " image (it offers: " +
                  (offered.empty() ? std::string("nothing") : str::join(offered, ", ")) + ")");
    if (!is_digest(pick->digest)) throw Error("the base image " + ref.str() + ": its index names linux/" + architecture + " without a digest");
    m = client.get_manifest(ref.repository, pick->digest);
  }
  if (m.media_type != media::k_oci_manifest && m.media_type != media::k_docker_manifest)
    throw Error("the base image " + ref.str() + " is a " + m.media_type + ", not an image manifest kf can build on");
  b.digest = m.digest;
  const ImageManifest manifest = read_image_manifest(m.bytes, ref.str());
  b.image.config = manifest.config;
  client.get_blob(ref.repository, b.image.config, store, {});
  b.image.config_bytes = store.read(b.image.config.digest);
  ImageConfig config = read_image_config(b.image.config_bytes, ref.str(), architecture);
  b.config = std::move(config.config);
  b.image.diff_ids = std::move(config.diff_ids);
  for (const auto& d : manifest.layers) {
    client.get_blob(ref.repository, d, store, progress);
    b.files.add_layer(store.path(d.digest), d.media_type == media::k_oci_layer_gzip);
    b.image.layers.push_back(d);
    b.image.layer_origins.push_back(ref.name());
  }
  if (b.image.diff_ids.size() != b.image.layers.size())
    throw Error("the base image " + ref.str() + ": its config lists " + std::to_string(b.image.diff_ids.size()) +
                " diff_ids for " + std::to_string(b.image.layers.size()) + " layers");
  return b;
}

} // namespace kf::image
