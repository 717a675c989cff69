#include <doctest/doctest.h>

#include <filesystem>

#include "libkf/image/builder.h"
#include "libkf/image/oci.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::image;
namespace stdfs = std::filesystem;

namespace {

Image tiny_image(BlobStore& store, const std::string& text) {
  Image img;
  std::string diff;
  img.layers.push_back(build_layer({{"hello.txt", TarEntry::Type::file, 0644, {}, text, {}}}, 0, store, diff));
  img.diff_ids.push_back(diff);
  img.layer_origins.push_back("");
  img.config_bytes = Json{{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", {diff}}}}}.dump();
  img.config = store.put(media::k_oci_config, img.config_bytes);
  img.manifest_bytes = Json{{"schemaVersion", 2}, {"mediaType", media::k_oci_manifest}, {"config", img.config.to_json()},
                            {"layers", {img.layers[0].to_json()}}}.dump();
  img.manifest = store.put(media::k_oci_manifest, img.manifest_bytes);
  return img;
}

} // namespace

TEST_CASE("OCI layout: index.json names each tag once — other tags stay — gc drops unreachable blobs") {
  test::TempDir t;
  BlobStore store(t.path / "store");
  const Image a = tiny_image(store, "a"), b = tiny_image(store, "b");
  const auto dir = t.path / "layout";
  write_oci_layout(a, store, dir, "v1");
  write_oci_layout(b, store, dir, "v2");
  write_oci_layout(b, store, dir, "v1"); // v1 moves to b
  CHECK(fs::read_file(dir / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  const Json index = Json::parse(fs::read_file(dir / "index.json"));
  CHECK(index["mediaType"] == "application/vnd.oci.image.index.v1+json");
  REQUIRE(index["manifests"].size() == 2);
  CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "v2");
  CHECK(index["manifests"][1]["annotations"]["org.opencontainers.image.ref.name"] == "v1");
  CHECK(index["manifests"][1]["digest"] == b.manifest.digest);
  CHECK(stdfs::exists(dir / "blobs/sha256" / digest_hex(a.layers[0].digest))); // not collected yet
  write_oci_layout(b, store, dir, "v1", true);
  CHECK_FALSE(stdfs::exists(dir / "blobs/sha256" / digest_hex(a.layers[0].digest)));
  CHECK(stdfs::exists(dir / "blobs/sha256" / digest_hex(b.layers[0].digest)));
  CHECK(fs::read_file(dir / "blobs/sha256" / digest_hex(b.manifest.digest)) == b.manifest_bytes);

  stdfs::create_directories(t.path / "busy");
  t.write("busy/notes.txt", "mine");
  CHECK_THROWS_WITH_AS(write_oci_layout(a, store, t.path / "busy", "v1"),
                       ((t.path / "busy").string() + " is neither empty nor an OCI image layout: choose a new directory for -o oci:DIR").c_str(),
                       Error);
}

TEST_CASE("docker-archive: manifest.json, the config, uncompressed layers — reproducible") {
  test::TempDir t;
  BlobStore store(t.path / "store");
  const Image img = tiny_image(store, "hello");
  const auto file = t.path / "out" / "image.tar";
  write_docker_archive(img, store, file, "127.0.0.1:5000/kf/demo:v1", 0);
  std::map<std::string, TarMember> m;
  read_tar(file, false, [&](const TarMember& x) { m[x.path] = x; });
  const std::string layer = digest_hex(img.diff_ids[0]) + "/layer.tar";
  CHECK(m.count("manifest.json") == 1);
  CHECK(m.count(digest_hex(img.config.digest) + ".json") == 1);
  REQUIRE(m.count(layer) == 1);
  CHECK(m.at(layer).size == 2048); // one header, "hello" padded, two end blocks
  const std::string first = fs::read_file(file);
  write_docker_archive(img, store, file, "127.0.0.1:5000/kf/demo:v1", 0);
  CHECK(fs::read_file(file) == first);
  CHECK(stdfs::directory_iterator(file.parent_path()) != stdfs::directory_iterator()); // no temporary left
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : stdfs::directory_iterator(file.parent_path())) ++n;
  CHECK(n == 1);
}
