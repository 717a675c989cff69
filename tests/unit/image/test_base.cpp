#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "libkf/image/base.h"
#include "libkf/image/builder.h"
#include "libkf/util/error.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::image;

TEST_CASE("RootFs: symlinked directories (merged /usr) are followed — whiteouts remove lower files") {
  test::TempDir t;
  BlobStore store(t.path);
  std::string diff;
  // Layer 1: a merged-/usr Debian-like tree.
  const auto l1 = build_layer(with_parent_dirs({{"lib", TarEntry::Type::symlink, 0777, {}, {}, "usr/lib"},
                                                {"lib64", TarEntry::Type::symlink, 0777, {}, {}, "usr/lib64"},
                                                {"usr/lib64/ld-linux-x86-64.so.2", TarEntry::Type::symlink, 0777, {}, {},
                                                 "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
                                                {"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", TarEntry::Type::file, 0755, {}, "ld", {}},
                                                {"usr/lib/x86_64-linux-gnu/libc.so.6", TarEntry::Type::file, 0755, {}, "c", {}},
                                                {"usr/lib/x86_64-linux-gnu/libgone.so.1", TarEntry::Type::file, 0644, {}, "g", {}},
                                                {"opt/cuda/lib64/libcublas.so.13", TarEntry::Type::file, 0644, {}, "b", {}},
                                                {"var/cache/x", TarEntry::Type::file, 0644, {}, "x", {}}}),
                              0, store, diff);
  // Layer 2: deletes libgone and empties var/cache.
  const auto l2 = build_layer(with_parent_dirs({{"usr/lib/x86_64-linux-gnu/.wh.libgone.so.1", TarEntry::Type::file, 0644, {}, "", {}},
                                                {"var/cache/.wh..wh..opq", TarEntry::Type::file, 0644, {}, "", {}}}),
                              0, store, diff);
  RootFs fs;
  fs.add_layer(store.path(l1.digest), true);
  fs.add_layer(store.path(l2.digest), true);
  CHECK(fs.exists("lib64/ld-linux-x86-64.so.2"));
  CHECK(fs.exists("lib/x86_64-linux-gnu/libc.so.6"));
  CHECK(fs.type_of("lib64") == '2');
  CHECK_FALSE(fs.exists("usr/lib/x86_64-linux-gnu/libgone.so.1"));
  CHECK_FALSE(fs.exists("var/cache/x"));
  CHECK(fs.exists("var/cache"));
  CHECK(fs.find_named("libc.so.6") == "usr/lib/x86_64-linux-gnu/libc.so.6");
  CHECK(fs.find_named("libcublas.so.13") == "opt/cuda/lib64/libcublas.so.13");
  CHECK_FALSE(fs.find_named("libgone.so.1"));
}

TEST_CASE("pick_platform: linux/amd64 from an index — the error lists what is on offer") {
  const Json index = Json::parse(R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","size":10,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":20,"platform":{"os":"linux","architecture":"amd64"}}]})");
  std::vector<std::string> offered;
  const auto d = pick_platform(index, "amd64", &offered);
  REQUIRE(d);
  CHECK(d->digest == "sha256:bb");
  CHECK(d->size == 20);
  CHECK(offered == std::vector<std::string>{"linux/arm64/v8", "linux/amd64"});
  CHECK_FALSE(pick_platform(index, "s390x"));
  // A registry's index of the wrong shape is read, never thrown out of nlohmann (fuzz_oci).
  offered.clear();
  CHECK_FALSE(pick_platform(Json::parse(R"({"manifests":[5,{"platform":{"os":7}},{"platform":"x"}]})"), "amd64", &offered));
  CHECK(offered == std::vector<std::string>{"/", "/", "/"});
  CHECK_FALSE(pick_platform(Json::parse("[1]"), "amd64"));
}

TEST_CASE("read_image_manifest and read_image_config: a registry's answers of the wrong shape are errors naming the image") {
  const std::string digest = "sha256:" + std::string(64, 'a');
  const std::string config = R"({"config":{"digest":")" + digest + R"(","size":5})";
  const ImageManifest m = read_image_manifest(
      config + R"(,"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + digest + R"(","size":7}]})",
      "reg/base:1");
  CHECK(m.config.media_type == media::k_oci_config);
  CHECK(m.config.size == 5);
  REQUIRE(m.layers.size() == 1);
  CHECK(m.layers[0].media_type == media::k_oci_layer_gzip);
  const std::pair<std::string, std::string> bad_manifests[] = {
      {"{", "reg/base:1: the registry's manifest is not JSON"},
      {"[1,2]", "the base image reg/base:1 has no config digest"},
      {R"({"config":{"digest":5}})", "the base image reg/base:1 has no config digest"},
      {config + R"(,"layers":{"a":1}})", "the base image reg/base:1: its manifest's layers is not a list"},
      {config + R"(,"layers":[7]})", "the base image reg/base:1 has a layer of type , which kf cannot build on"},
      {config + R"(,"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":["x"]}]})",
       "the base image reg/base:1 has a layer without a digest"},
  };
  for (const auto& [bytes, message] : bad_manifests) {
    CAPTURE(bytes);
    CHECK_THROWS_WITH_AS(read_image_manifest(bytes, "reg/base:1"), message.c_str(), Error);
  }
  const ImageConfig c = read_image_config(R"({"architecture":"amd64","rootfs":{"diff_ids":[")" + digest + R"("]}})", "reg/base:1", "amd64");
  CHECK(c.diff_ids == std::vector<std::string>{digest});
  const std::pair<std::string, std::string> bad_configs[] = {
      {"nope", "reg/base:1: the registry's image config is not JSON"},
      {"[]", "the base image reg/base:1: its config is not a JSON object"},
      {R"({"architecture":"arm64"})", "the base image reg/base:1 is for arm64, not amd64"},
      {R"({"rootfs":{"diff_ids":"sha256:x"}})", "the base image reg/base:1: its config's rootfs.diff_ids is not a list"},
      {R"({"rootfs":{"diff_ids":[3]}})", "the base image reg/base:1: its config's rootfs.diff_ids holds 3, not a digest"},
  };
  for (const auto& [bytes, message] : bad_configs) {
    CAPTURE(bytes);
    CHECK_THROWS_WITH_AS(read_image_config(bytes, "reg/base:1", "amd64"), message.c_str(), Error);
  }
}

namespace {

// One raw ustar member (what write_tar() refuses to write): name, typeflag, link.
std::string raw_member(const std::string& name, char type, const std::string& link = "") {
  std::string h(512, '\0');
  name.copy(h.data(), std::min<std::size_t>(name.size(), 100));
  std::string("0000644").copy(h.data() + 100, 7);
  std::string("00000000000").copy(h.data() + 124, 11); // size
  std::string("00000000000").copy(h.data() + 136, 11); // mtime
  h[156] = type;
  link.copy(h.data() + 157, std::min<std::size_t>(link.size(), 100));
  std::string("ustar").copy(h.data() + 257, 5);
  std::string("00").copy(h.data() + 263, 2);
  std::fill(h.begin() + 148, h.begin() + 156, ' ');
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::string(chk, 6).copy(h.data() + 148, 6);
  h[154] = '\0';
  return h;
}

std::string refusal_of(const std::string& tar) {
  test::TempDir t;
  const auto blob = t.path / "sha256" / "abc123";
  std::filesystem::create_directories(blob.parent_path());
  std::ofstream(blob, std::ios::binary) << tar << std::string(1024, '\0');
  try {
    RootFs fs;
    fs.add_layer(blob, false);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

TEST_CASE("RootFs: a base layer that writes outside the root file system or makes a device is refused") {
  CHECK(refusal_of(raw_member("usr/", '5') + raw_member("usr/../../etc/passwd", '0')) ==
        "base image layer sha256:abc123: member 'usr/../../etc/passwd' leaves the image's root file system ('..'); "
        "kf build refuses such a layer");
  CHECK(refusal_of(raw_member("etc/shadow", '1', "../../etc/shadow")) ==
        "base image layer sha256:abc123: member 'etc/shadow' is a hard link to '../../etc/shadow', outside the "
        "image's root file system; kf build refuses such a layer");
  CHECK(refusal_of(raw_member("dev/sda", '4')) ==
        "base image layer sha256:abc123: member 'dev/sda' is a block device; kf build refuses such a layer");
  CHECK(refusal_of(raw_member("dev/null", '3')) ==
        "base image layer sha256:abc123: member 'dev/null' is a character device; kf build refuses such a layer");
  // What a real layer holds: a leading "./", '..' inside a symlink's target (resolved in the image), a hard link.
  CHECK(refusal_of(raw_member("./usr/", '5') + raw_member("usr/lib64", '2', "../lib") +
                   raw_member("usr/bin/a", '0') + raw_member("usr/bin/b", '1', "usr/bin/a")) == "accepted");
}
