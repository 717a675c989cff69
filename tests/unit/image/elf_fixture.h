#pragma once
// Small synthetic ELF64 (x86-64, little-endian) files for the image tests:
// a program header table with PT_LOAD over the whole file, PT_DYNAMIC and
// optionally PT_INTERP, and a dynamic section with DT_NEEDED, DT_SONAME and
// DT_RUNPATH. Enough for read_elf() and resolve_libraries(); not runnable.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "libkf/util/fs.h"

namespace kf::test {

struct FakeElf {
  std::string interp;
  std::string soname;
  std::vector<std::string> needed;
  std::string runpath;
  std::uint16_t machine = 62;
};

inline std::string make_elf(const FakeElf& e) {
  auto put = [](std::string& s, std::size_t off, std::uint64_t v, int n) {
    if (s.size() < off + static_cast<std::size_t>(n)) s.resize(off + static_cast<std::size_t>(n), '\0');
    for (int i = 0; i < n; ++i) s[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  const int nph = e.interp.empty() ? 2 : 3;
  std::string strtab(1, '\0');
  auto add_str = [&](const std::string& s) {
    const std::uint64_t off = strtab.size();
    strtab += s;
    strtab += '\0';
    return off;
  };
  std::vector<std::pair<std::uint64_t, std::uint64_t>> dyn;
  for (const auto& n : e.needed) dyn.emplace_back(1, add_str(n));
  if (!e.soname.empty()) dyn.emplace_back(14, add_str(e.soname));
  if (!e.runpath.empty()) dyn.emplace_back(29, add_str(e.runpath));
  const std::uint64_t strtab_off = 64 + 56 * static_cast<std::uint64_t>(nph);
  const std::uint64_t interp_off = strtab_off + strtab.size();
  const std::uint64_t dyn_off = (interp_off + e.interp.size() + 1 + 7) / 8 * 8;
  dyn.emplace_back(5, strtab_off);
  dyn.emplace_back(10, strtab.size());
  dyn.emplace_back(0, 0);
  const std::uint64_t total = dyn_off + 16 * dyn.size();
  std::string f(total, '\0');
  f[0] = 0x7f, f[1] = 'E', f[2] = 'L', f[3] = 'F', f[4] = 2, f[5] = 1, f[6] = 1;
  put(f, 16, e.interp.empty() ? 3 : 2, 2); // ET_DYN or ET_EXEC
  put(f, 18, e.machine, 2);
  put(f, 20, 1, 4);
  put(f, 32, 64, 8);  // e_phoff
  put(f, 52, 64, 2);  // e_ehsize
  put(f, 54, 56, 2);  // e_phentsize
  put(f, 56, static_cast<std::uint64_t>(nph), 2);
  auto phdr = [&](int i, std::uint32_t type, std::uint64_t off, std::uint64_t size) {
    const std::size_t o = 64 + 56 * static_cast<std::size_t>(i);
    put(f, o, type, 4);
    put(f, o + 4, 4, 4);
    put(f, o + 8, off, 8);
    put(f, o + 16, off, 8);
    put(f, o + 24, off, 8);
    put(f, o + 32, size, 8);
    put(f, o + 40, size, 8);
    put(f, o + 48, 8, 8);
  };
  phdr(0, 1, 0, total);
  phdr(1, 2, dyn_off, 16 * dyn.size());
  if (!e.interp.empty()) phdr(2, 3, interp_off, e.interp.size() + 1);
  f.replace(strtab_off, strtab.size(), strtab);
  f.replace(interp_off, e.interp.size(), e.interp);
  for (std::size_t i = 0; i < dyn.size(); ++i) {
    put(f, dyn_off + 16 * i, dyn[i].first, 8);
    put(f, dyn_off + 16 * i + 8, dyn[i].second, 8);
  }
  return f;
}

// Writes a fake ELF at root/rel (creating directories), mode 0755.
inline std::filesystem::path write_elf(const std::filesystem::path& root, const std::string& rel, const FakeElf& e) {
  const auto p = root / rel;
  std::filesystem::create_directories(p.parent_path());
  fs::write_file_atomic(p, make_elf(e), std::filesystem::perms(0755));
  return p;
}

} // namespace kf::test
