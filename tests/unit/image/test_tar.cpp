#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "libkf/image/builder.h"
#include "libkf/image/stream.h"
#include "libkf/image/tar.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::image;
namespace stdfs = std::filesystem;

namespace {

std::vector<TarEntry> sample(const stdfs::path& host_file) {
  std::vector<TarEntry> e;
  e.push_back({"usr/local/bin/kf-trainer", TarEntry::Type::file, 0755, host_file, {}, {}});
  e.push_back({"etc/motd", TarEntry::Type::file, 0644, {}, "hello\n", {}});
  e.push_back({"lib64/ld.so", TarEntry::Type::symlink, 0777, {}, {}, "../usr/lib/ld.so"});
  return with_parent_dirs(e);
}

std::vector<TarMember> members_of(const stdfs::path& file, bool gz) {
  std::vector<TarMember> out;
  read_tar(file, gz, [&](const TarMember& m) { out.push_back(m); });
  return out;
}

} // namespace

TEST_CASE("tar: entries sorted, parents added, owner 0:0, one mtime, modes kept") {
  test::TempDir t;
  const auto bin = t.write("bin", std::string(1500, 'x'));
  StringSink out;
  write_tar(sample(bin), 1700000000, out);
  CHECK(out.text.size() % 512 == 0);
  const auto file = t.write("layer.tar", out.text);
  const auto m = members_of(file, false);
  std::vector<std::string> paths;
  for (const auto& x : m) paths.push_back(x.path);
  CHECK(paths == std::vector<std::string>{"etc", "etc/motd", "lib64", "lib64/ld.so", "usr", "usr/local", "usr/local/bin",
                                          "usr/local/bin/kf-trainer"});
  for (const auto& x : m) {
    CHECK(x.uid == 0);
    CHECK(x.gid == 0);
    CHECK(x.mtime == 1700000000);
  }
  CHECK(m[0].type == '5');
  CHECK(m[0].mode == 0755);
  CHECK(m[1].size == 6);
  CHECK(m[1].mode == 0644);
  CHECK(m[3].type == '2');
  CHECK(m[3].link == "../usr/lib/ld.so");
  CHECK(m[7].size == 1500);
  CHECK(m[7].mode == 0755);
  // No user or group names in any header (uname at 265, gname at 297).
  for (std::size_t off = 0; off + 512 <= out.text.size(); off += 512)
    if (out.text.compare(off + 257, 5, "ustar") == 0) {
      CHECK(out.text[off + 265] == '\0');
      CHECK(out.text[off + 297] == '\0');
    }
}

TEST_CASE("tar: long paths and link targets go in pax headers and read back") {
  test::TempDir t;
  const std::string deep = std::string(120, 'd') + "/" + std::string(120, 'f');
  const std::string target = "/" + std::string(150, 't');
  std::vector<TarEntry> e{{deep, TarEntry::Type::file, 0644, {}, "x", {}},
                          {"link", TarEntry::Type::symlink, 0777, {}, {}, target},
                          {std::string(90, 'a') + "/" + std::string(90, 'b'), TarEntry::Type::file, 0644, {}, "ustar prefix", {}}};
  StringSink out;
  write_tar(e, 0, out);
  const auto m = members_of(t.write("l.tar", out.text), false);
  REQUIRE(m.size() == 3);
  CHECK(m[0].path == std::string(90, 'a') + "/" + std::string(90, 'b'));
  CHECK(m[0].size == 12);
  CHECK(m[1].path == deep);
  CHECK(m[2].link == target);
}

TEST_CASE("tar: bad entries are errors") {
  StringSink out;
  CHECK_THROWS_WITH_AS(write_tar({{"a", TarEntry::Type::file, 0644, {}, "1", {}}, {"a", TarEntry::Type::file, 0644, {}, "2", {}}}, 0, out),
                       "cannot put a in a layer twice", Error);
  CHECK_THROWS_WITH_AS(write_tar({{"/etc/passwd", TarEntry::Type::file, 0644, {}, "", {}}}, 0, out),
                       "cannot put /etc/passwd in a layer: the path must be relative to the image's root", Error);
  CHECK_THROWS_WITH_AS(write_tar({{"usr/../etc", TarEntry::Type::file, 0644, {}, "", {}}}, 0, out),
                       "cannot put usr/../etc in a layer: empty, '.' or '..' path component", Error);
  CHECK_THROWS_WITH_AS(write_tar({{"x", TarEntry::Type::file, 0644, "/nonexistent/kf-file", {}, {}}}, 0, out),
                       "cannot read /nonexistent/kf-file: No such file or directory", Error);
}

TEST_CASE("with_parent_dirs: skips directories the base image has") {
  const auto e = with_parent_dirs({{"lib64/ld.so", TarEntry::Type::file, 0755, {}, "", {}},
                                   {"usr/lib/x/libc.so.6", TarEntry::Type::file, 0755, {}, "", {}}},
                                  [](const std::string& p) { return p == "lib64" || p == "usr" || p == "usr/lib"; });
  std::vector<std::string> paths;
  for (const auto& x : e) paths.push_back(x.path);
  CHECK(paths == std::vector<std::string>{"lib64/ld.so", "usr/lib/x/libc.so.6", "usr/lib/x"});
}

TEST_CASE("layers are reproducible: built twice, one digest — gzip has no name and no timestamp") {
  test::TempDir t;
  const auto bin = t.write("bin", std::string(100000, 'y') + "kf");
  BlobStore a(t.path / "a"), b(t.path / "b");
  std::string diff_a, diff_b;
  const auto da = build_layer(sample(bin), 0, a, diff_a);
  // The same entries in another order, written into another store.
  auto reversed = sample(bin);
  std::reverse(reversed.begin(), reversed.end());
  const auto db = build_layer(reversed, 0, b, diff_b);
  CHECK(da.digest == db.digest);
  CHECK(da.size == db.size);
  CHECK(diff_a == diff_b);
  CHECK(da.media_type == "application/vnd.oci.image.layer.v1.tar+gzip");
  const std::string gz = fs::read_file(a.path(da.digest));
  REQUIRE(gz.size() > 10);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gz[3] == 0);                          // FLG: no FNAME, no FCOMMENT, no FEXTRA
  CHECK(gz.substr(4, 4) == std::string(4, '\0')); // MTIME 0
  // The diff_id is the sha256 of the uncompressed tar.
  StringSink raw;
  write_tar(sample(bin), 0, raw);
  CHECK(diff_a == digest_of(raw.text));
  // Another mtime is another layer.
  std::string diff_c;
  CHECK(build_layer(sample(bin), 1, a, diff_c).digest != da.digest);
  // It unpacks to the same entries.
  CHECK(members_of(a.path(da.digest), true).size() == 8);
}
