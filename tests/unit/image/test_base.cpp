#include <doctest/doctest.h>

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
}
