#include <doctest/doctest.h>

#include <filesystem>

#include "libkf/image/elf.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/image/elf_fixture.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::image;
namespace stdfs = std::filesystem;

namespace {

// A glibc-ld.so.cache1.1 file with (soname, path, hwcap) entries.
std::string make_ld_cache(const std::vector<std::tuple<std::string, std::string, std::uint64_t>>& entries) {
  auto put = [](std::string& s, std::size_t off, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  const std::size_t header = 48, strings_at = header + 24 * entries.size();
  std::string strings;
  std::string f(strings_at, '\0');
  f.replace(0, 20, "glibc-ld.so.cache1.1");
  put(f, 20, entries.size(), 4);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& [soname, path, hwcap] = entries[i];
    const std::size_t key = strings_at + strings.size();
    strings += soname + '\0';
    const std::size_t value = strings_at + strings.size();
    strings += path + '\0';
    const std::size_t o = header + 24 * i;
    put(f, o, 0x0303, 4); // ELF libc6, x86-64
    put(f, o + 4, key, 4);
    put(f, o + 8, value, 4);
    put(f, o + 16, hwcap, 8);
  }
  put(f, 24, strings.size(), 4);
  return f + strings;
}

} // namespace

TEST_CASE("read_elf: interpreter, needed libraries, soname and runpath from the dynamic section") {
  test::TempDir t;
  const auto p = test::write_elf(t.path, "app", {"/lib64/ld-linux-x86-64.so.2", "", {"libfoo.so.1", "libc.so.6"}, "$ORIGIN/../lib"});
  const ElfInfo e = read_elf(p);
  CHECK(e.is64);
  CHECK(e.machine == 62);
  CHECK(e.interp == "/lib64/ld-linux-x86-64.so.2");
  CHECK(e.needed == std::vector<std::string>{"libfoo.so.1", "libc.so.6"});
  CHECK(e.runpath == std::vector<std::string>{"$ORIGIN/../lib"});
  CHECK(oci_architecture(e.machine) == "amd64");
  const ElfInfo lib = read_elf(test::write_elf(t.path, "libfoo.so.1", {"", "libfoo.so.1", {}, ""}));
  CHECK(lib.soname == "libfoo.so.1");
  CHECK(lib.interp.empty());
}

TEST_CASE("read_elf: errors name the file") {
  test::TempDir t;
  const auto text = t.write("notes.txt", "hello, not an ELF file\n");
  CHECK_THROWS_WITH_AS(read_elf(text), (text + ": not an ELF file").c_str(), Error);
  const std::string elf = test::make_elf({"/lib64/ld-linux-x86-64.so.2", "", {"libc.so.6"}, ""});
  const auto cut = t.write("cut", elf.substr(0, 100));
  CHECK_THROWS_WITH_AS(read_elf(cut), (cut + ": truncated or corrupt ELF file (offset beyond the end of the file)").c_str(), Error);
}

TEST_CASE("resolve_libraries: RUNPATH with $ORIGIN, then the default directories, transitively, each once") {
  test::TempDir t;
  const auto app = test::write_elf(t.path, "usr/local/bin/app",
                                   {"/lib64/ld-linux-x86-64.so.2", "", {"libfoo.so.1", "libbar.so.2"}, "$ORIGIN/../lib"});
  test::write_elf(t.path, "usr/local/lib/libfoo.so.1", {"", "libfoo.so.1", {"libbar.so.2", "libc.so.6"}, ""});
  test::write_elf(t.path, "usr/lib/x86_64-linux-gnu/libbar.so.2", {"", "libbar.so.2", {"libc.so.6"}, ""});
  // An arm64 libc in the first default directory is skipped: the loader wants the program's machine.
  {
    test::FakeElf arm{"", "libc.so.6", {}, ""};
    arm.machine = 183;
    test::write_elf(t.path, "lib/x86_64-linux-gnu/libc.so.6", arm);
  }
  test::write_elf(t.path, "usr/lib/x86_64-linux-gnu/libc.so.6", {"", "libc.so.6", {}, ""});
  LibrarySearch s;
  s.root = t.path;
  const auto libs = resolve_libraries(app, s);
  REQUIRE(libs.size() == 3);
  CHECK(libs[0].soname == "libfoo.so.1");
  CHECK(libs[0].path == t.path / "usr/local/lib/libfoo.so.1");
  CHECK(libs[0].needed_by == "app");
  CHECK(libs[1].soname == "libbar.so.2");
  CHECK(libs[1].path == t.path / "usr/lib/x86_64-linux-gnu/libbar.so.2");
  CHECK(libs[2].soname == "libc.so.6");
  CHECK(libs[2].path == t.path / "usr/lib/x86_64-linux-gnu/libc.so.6");
  CHECK(libs[2].needed_by == "libfoo.so.1");
}

TEST_CASE("resolve_libraries: /etc/ld.so.cache finds libraries outside the default directories — hwcaps variants are skipped") {
  test::TempDir t;
  const auto app = test::write_elf(t.path, "app", {"/lib64/ld-linux-x86-64.so.2", "", {"libbaz.so.3"}, ""});
  test::write_elf(t.path, "opt/baz/libbaz.so.3", {"", "libbaz.so.3", {}, ""});
  test::write_elf(t.path, "opt/baz/glibc-hwcaps/x86-64-v3/libbaz.so.3", {"", "libbaz.so.3", {}, ""});
  stdfs::create_directories(t.path / "etc");
  t.write("etc/ld.so.cache", make_ld_cache({{"libbaz.so.3", "/opt/baz/glibc-hwcaps/x86-64-v3/libbaz.so.3", 1ull << 62},
                                            {"libbaz.so.3", "/opt/baz/libbaz.so.3", 0}}));
  const auto cache = read_ld_cache(t.path / "etc/ld.so.cache");
  REQUIRE(cache.size() == 1);
  CHECK(cache[0].soname == "libbaz.so.3");
  CHECK(cache[0].path == "/opt/baz/libbaz.so.3");
  LibrarySearch s;
  s.root = t.path;
  const auto libs = resolve_libraries(app, s);
  REQUIRE(libs.size() == 1);
  CHECK(libs[0].path == t.path / "opt/baz/libbaz.so.3");

  t.write("bad.cache", "glibc-ld.so.cache1.0 and then nothing useful");
  CHECK_THROWS_WITH_AS(read_ld_cache(t.path / "bad.cache"),
                       ((t.path / "bad.cache").string() + ": not a valid ld.so.cache (no glibc-ld.so.cache1.1 header)").c_str(), Error);
  CHECK(read_ld_cache(t.path / "missing").empty());
}

TEST_CASE("resolve_libraries: a missing library is an error naming who needs it and where kf looked") {
  test::TempDir t;
  const auto app = test::write_elf(t.path, "app", {"/lib64/ld-linux-x86-64.so.2", "", {"libkf-missing.so.1"}, ""});
  LibrarySearch s;
  s.root = t.path;
  CHECK_THROWS_WITH_AS(resolve_libraries(app, s),
                       "cannot find libkf-missing.so.1 (needed by app): not in its RPATH/RUNPATH, /etc/ld.so.cache or the "
                       "default directories (/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /usr/lib64, /lib, /usr/lib)",
                       Error);
}

TEST_CASE("resolve_libraries: this test program, on this machine, as the loader sees it") {
  const auto libs = resolve_libraries("/proc/self/exe");
  bool libc = false;
  for (const auto& l : libs) {
    CHECK(stdfs::exists(l.path));
    libc = libc || l.soname == "libc.so.6";
  }
  CHECK(libc);
  CHECK(read_elf("/proc/self/exe").interp.find("ld-linux") != std::string::npos);
  if (stdfs::exists("/etc/ld.so.cache")) {
    bool found = false;
    for (const auto& e : read_ld_cache("/etc/ld.so.cache")) found = found || e.soname == "libc.so.6";
    CHECK(found);
  }
}
