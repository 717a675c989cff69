#include "libkf/image/elf.h"

#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <set>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

namespace kf::image {

namespace stdfs = std::filesystem;

namespace {

constexpr std::uint32_t k_pt_load = 1, k_pt_dynamic = 2, k_pt_interp = 3;
constexpr std::int64_t k_dt_null = 0, k_dt_needed = 1, k_dt_strtab = 5, k_dt_strsz = 10, k_dt_soname = 14, k_dt_rpath = 15,
                       k_dt_runpath = 29;

class Reader {
public:
  explicit Reader(const stdfs::path& p) : m_path(p), m_in(p, std::ios::binary) {
    if (!m_in) throw Error("cannot read " + p.string() + ": " + std::strerror(errno));
    m_in.seekg(0, std::ios::end);
    m_size = static_cast<std::uint64_t>(m_in.tellg());
  }
  std::string bytes(std::uint64_t off, std::uint64_t n) {
    if (off > m_size || n > m_size - off) corrupt("offset beyond the end of the file");
    std::string out(n, '\0');
    m_in.seekg(static_cast<std::streamoff>(off));
    m_in.read(out.data(), static_cast<std::streamsize>(n));
    if (!m_in) corrupt("read error");
    return out;
  }
  [[noreturn]] void corrupt(const std::string& why) const { throw Error(m_path.string() + ": truncated or corrupt ELF file (" + why + ")"); }
  std::uint64_t size() const { return m_size; }

private:
  stdfs::path m_path;
  std::ifstream m_in;
  std::uint64_t m_size = 0;
};

std::uint64_t le(const std::string& s, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}

struct Segment {
  std::uint32_t type;
  std::uint64_t offset, vaddr, filesz;
};

} // namespace

ElfInfo read_elf(const stdfs::path& path) {
  Reader r(path);
  if (r.size() < 16) throw Error(path.string() + ": not an ELF file");
  const std::string ident = r.bytes(0, 16);
  if (ident.compare(0, 4, "\x7f" "ELF") != 0) throw Error(path.string() + ": not an ELF file");
  ElfInfo info;
  info.is64 = ident[4] == 2;
  if (ident[4] != 1 && ident[4] != 2) r.corrupt("unknown class");
  if (ident[5] != 1) throw Error(path.string() + ": big-endian ELF files are not supported");
  const std::string eh = r.bytes(0, info.is64 ? 64 : 52);
  info.machine = static_cast<std::uint16_t>(le(eh, 18, 2));
  const std::uint64_t phoff = info.is64 ? le(eh, 32, 8) : le(eh, 28, 4);
  const std::uint64_t phentsize = le(eh, info.is64 ? 54 : 42, 2);
  const std::uint64_t phnum = le(eh, info.is64 ? 56 : 44, 2);
  if (phnum > 0 && phentsize < (info.is64 ? 56u : 32u)) r.corrupt("program header size");
  std::vector<Segment> segs;
  const std::string ph = r.bytes(phoff, phentsize * phnum);
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const std::size_t o = static_cast<std::size_t>(i * phentsize);
    Segment s{};
    s.type = static_cast<std::uint32_t>(le(ph, o, 4));
    if (info.is64) {
      s.offset = le(ph, o + 8, 8);
      s.vaddr = le(ph, o + 16, 8);
      s.filesz = le(ph, o + 32, 8);
    } else {
      s.offset = le(ph, o + 4, 4);
      s.vaddr = le(ph, o + 8, 4);
      s.filesz = le(ph, o + 16, 4);
    }
    segs.push_back(s);
  }
  auto file_offset = [&](std::uint64_t vaddr) -> std::uint64_t {
    for (const auto& s : segs)
      if (s.type == k_pt_load && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr);
    r.corrupt("address outside the loaded segments");
  };
  for (const auto& s : segs) {
    if (s.type == k_pt_interp) {
      std::string interp = r.bytes(s.offset, s.filesz);
      info.interp = interp.substr(0, interp.find('\0'));
    }
  }
  for (const auto& s : segs) {
    if (s.type != k_pt_dynamic) continue;
    const std::string dyn = r.bytes(s.offset, s.filesz);
    const std::size_t entsize = info.is64 ? 16 : 8;
    std::vector<std::pair<std::int64_t, std::uint64_t>> entries;
    std::uint64_t strtab = 0, strsz = 0;
    for (std::size_t o = 0; o + entsize <= dyn.size(); o += entsize) {
      const auto tag = static_cast<std::int64_t>(le(dyn, o, entsize / 2));
      const std::uint64_t val = le(dyn, o + entsize / 2, entsize / 2);
      if (tag == k_dt_null) break;
      if (tag == k_dt_strtab) strtab = val;
      if (tag == k_dt_strsz) strsz = val;
      entries.emplace_back(tag, val);
    }
    if (strtab == 0) break;
    const std::string strings = r.bytes(file_offset(strtab), strsz);
    auto str_at = [&](std::uint64_t off) {
      if (off >= strings.size()) r.corrupt("string offset beyond the string table");
      return std::string(strings.c_str() + off);
    };
    for (const auto& [tag, val] : entries) {
      if (tag == k_dt_needed) info.needed.push_back(str_at(val));
      else if (tag == k_dt_soname) info.soname = str_at(val);
      else if (tag == k_dt_rpath)
        for (const auto& p : str::split(str_at(val), ':')) info.rpath.push_back(p);
      else if (tag == k_dt_runpath)
        for (const auto& p : str::split(str_at(val), ':')) info.runpath.push_back(p);
    }
  }
  return info;
}

std::string oci_architecture(std::uint16_t machine) {
  switch (machine) {
  case 62: return "amd64";
  case 183: return "arm64";
  case 3: return "386";
  case 40: return "arm";
  case 243: return "riscv64";
  case 21: return "ppc64le";
  case 22: return "s390x";
  default: return "unknown";
  }
}

std::vector<LdCacheEntry> read_ld_cache(const stdfs::path& path) {
  std::error_code ec;
  if (!stdfs::is_regular_file(path, ec)) return {};
  const std::string data = fs::read_file(path);
  auto bad = [&](const char* why) -> void { throw Error(path.string() + ": not a valid ld.so.cache (" + why + ")"); };
  std::size_t base = 0;
  const std::string k_old = "ld.so-1.7.0", k_new = "glibc-ld.so.cache1.1";
  if (data.compare(0, k_old.size(), k_old) == 0) {
    if (data.size() < 16) bad("truncated");
    const std::uint64_t n = le(data, 12, 4);
    base = (16 + n * 12 + 7) / 8 * 8;
  }
  if (data.size() < base + 48 || data.compare(base, k_new.size(), k_new) != 0) bad("no glibc-ld.so.cache1.1 header");
  const std::uint64_t nlibs = le(data, base + 20, 4);
  if (base + 48 + nlibs * 24 > data.size()) bad("truncated");
  auto string_at = [&](std::uint64_t off) {
    if (base + off >= data.size()) bad("string offset beyond the file");
    return std::string(data.c_str() + base + off);
  };
  std::vector<LdCacheEntry> out;
  for (std::uint64_t i = 0; i < nlibs; ++i) {
    const std::size_t o = static_cast<std::size_t>(base + 48 + i * 24);
    LdCacheEntry e;
    e.flags = static_cast<std::uint32_t>(le(data, o, 4));
    e.soname = string_at(le(data, o + 4, 4));
    e.path = string_at(le(data, o + 8, 4));
    const std::uint64_t hwcap = le(data, o + 16, 8);
    if (hwcap != 0) continue; // glibc-hwcaps variants need that CPU level at run time: take the baseline
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

stdfs::path under(const stdfs::path& root, const std::string& abs) {
  if (root.empty() || root == "/") return abs;
  return root / stdfs::path(abs).relative_path();
}

bool matches(const stdfs::path& candidate, const ElfInfo& want) {
  std::error_code ec;
  if (!stdfs::is_regular_file(candidate, ec)) return false;
  try {
    const ElfInfo got = read_elf(candidate);
    return got.is64 == want.is64 && got.machine == want.machine;
  } catch (const Error&) {
    return false;
  }
}

std::string expand_origin(std::string dir, const stdfs::path& object, const stdfs::path& root) {
  std::string origin = object.parent_path().string();
  if (!root.empty() && root != "/") {
    const auto rel = object.parent_path().lexically_relative(root);
    origin = "/";
    origin += rel.generic_string();
  }
  for (const std::string token : {"${ORIGIN}", "$ORIGIN"})
    for (std::size_t at; (at = dir.find(token)) != std::string::npos;) dir.replace(at, token.size(), origin);
  return dir;
}

} // namespace

std::vector<ResolvedLibrary> resolve_libraries(const stdfs::path& program, const LibrarySearch& search) {
  const ElfInfo exe = read_elf(program);
  const auto cache = read_ld_cache(under(search.root, search.cache.string()));
  std::multimap<std::string, std::string> by_soname;
  for (const auto& e : cache) by_soname.emplace(e.soname, e.path);
  std::vector<std::string> exe_rpath;
  if (exe.runpath.empty())
    for (const auto& d : exe.rpath) exe_rpath.push_back(expand_origin(d, program, search.root));

  std::vector<ResolvedLibrary> out;
  std::set<std::string> seen;
  std::deque<std::pair<stdfs::path, ElfInfo>> queue{{program, exe}};
  while (!queue.empty()) {
    const auto [object, info] = queue.front();
    queue.pop_front();
    std::vector<std::string> dirs;
    if (info.runpath.empty())
      for (const auto& d : info.rpath) dirs.push_back(expand_origin(d, object, search.root));
    if (info.runpath.empty() && object != program) dirs.insert(dirs.end(), exe_rpath.begin(), exe_rpath.end());
    std::vector<std::string> runpath;
    for (const auto& d : info.runpath) runpath.push_back(expand_origin(d, object, search.root));
    for (const auto& soname : info.needed) {
      if (seen.count(soname)) continue;
      if (search.provided && search.provided(soname)) {
        seen.insert(soname);
        out.push_back(ResolvedLibrary{soname, {}, object.filename().string()});
        continue;
      }
      std::optional<stdfs::path> found;
      auto try_dir = [&](const std::string& dir) {
        if (found || dir.empty()) return;
        const stdfs::path c = under(search.root, dir) / soname;
        if (matches(c, exe)) found = c;
      };
      if (soname.find('/') != std::string::npos) {
        const stdfs::path c = under(search.root, soname);
        if (matches(c, exe)) found = c;
      }
      for (const auto& d : dirs) try_dir(d);
      for (const auto& d : runpath) try_dir(d);
      for (auto [it, end] = by_soname.equal_range(soname); !found && it != end; ++it) {
        const stdfs::path c = under(search.root, it->second);
        if (matches(c, exe)) found = c;
      }
      for (const auto& d : search.default_dirs) try_dir(d);
      if (!found)
        throw Error("cannot find " + soname + " (needed by " + object.filename().string() +
                    "): not in its RPATH/RUNPATH, " + search.cache.string() + " or the default directories (" +
                    str::join(search.default_dirs, ", ") + ")");
      seen.insert(soname);
      found = found->lexically_normal();
      out.push_back(ResolvedLibrary{soname, *found, object.filename().string()});
      queue.emplace_back(*found, read_elf(*found));
    }
  }
  return out;
}

} // namespace kf::image
