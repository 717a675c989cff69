#include "libkf/image/tar.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>

#include "libkf/util/error.h"

namespace kf::image {

namespace {

constexpr std::size_t k_block = 512;

struct Header {
  std::array<char, k_block> b{};
  void put(std::size_t off, std::size_t len, const std::string& s) { std::memcpy(b.data() + off, s.data(), std::min(len, s.size())); }
  // Octal, zero-padded to len-1 digits, NUL-terminated (as Go's archive/tar and GNU tar write).
  void octal(std::size_t off, std::size_t len, std::uint64_t v) {
    std::string digits(len - 1, '0');
    for (std::size_t i = len - 1; i-- > 0 && v > 0; v >>= 3) digits[i] = static_cast<char>('0' + (v & 7));
    put(off, len, digits);
  }
  void checksum() {
    std::memset(b.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (char c : b) sum += static_cast<unsigned char>(c);
    octal(148, 7, sum); // six digits, NUL, then the space already there
  }
};

const std::uint64_t k_max_octal_size = 077777777777ULL; // 11 octal digits
const std::uint64_t k_max_special = 1 << 20;             // a pax header's or long name's data (Go's maxSpecialFileSize)

std::string pax_record(const std::string& key, const std::string& value) {
  const std::string body = " " + key + "=" + value + "\n";
  std::size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) len = std::to_string(len).size() + body.size();
  return std::to_string(len) + body;
}

void pad(Sink& out, std::uint64_t size) {
  static const std::array<char, k_block> k_zero{};
  const std::size_t rem = size % k_block;
  if (rem) out.write(k_zero.data(), k_block - rem);
}

// Splits a long path into ustar's prefix (<=155) and name (<=100) at a '/'.
bool split_ustar(const std::string& path, std::string& prefix, std::string& name) {
  if (path.size() <= 100) {
    prefix.clear();
    name = path;
    return true;
  }
  for (std::size_t i = path.size() > 101 ? path.size() - 101 : 0; i < path.size() && i <= 155; ++i) {
    if (path[i] != '/') continue;
    if (i <= 155 && path.size() - i - 1 <= 100 && path.size() - i - 1 > 0) {
      prefix = path.substr(0, i);
      name = path.substr(i + 1);
      return true;
    }
  }
  return false;
}

void write_header(Sink& out, const std::string& path, char type, unsigned mode, std::uint64_t size, const std::string& link,
                  std::int64_t mtime) {
  std::string pax;
  std::string prefix, name;
  if (!split_ustar(path, prefix, name)) {
    pax += pax_record("path", path);
    prefix.clear();
    name = path.substr(0, 99);
  }
  if (link.size() > 100) pax += pax_record("linkpath", link);
  if (size > k_max_octal_size) pax += pax_record("size", std::to_string(size));
  if (!pax.empty()) {
    Header x;
    const std::string base = path.substr(path.find_last_of('/', path.size() - 2) + 1);
    x.put(0, 100, ("PaxHeaders/" + base).substr(0, 99));
    x.octal(100, 8, 0644);
    x.octal(108, 8, 0);
    x.octal(116, 8, 0);
    x.octal(124, 12, pax.size());
    x.octal(136, 12, static_cast<std::uint64_t>(mtime));
    x.b[156] = 'x';
    x.put(257, 6, std::string("ustar\0", 6));
    x.put(263, 2, "00");
    x.checksum();
    out.write(x.b.data(), k_block);
    out.write(pax.data(), pax.size());
    pad(out, pax.size());
  }
  Header h;
  h.put(0, 100, name);
  h.octal(100, 8, mode & 07777);
  h.octal(108, 8, 0); // uid
  h.octal(116, 8, 0); // gid
  h.octal(124, 12, size > k_max_octal_size ? 0 : size);
  h.octal(136, 12, static_cast<std::uint64_t>(mtime));
  h.b[156] = type;
  h.put(157, 100, link.substr(0, 100));
  h.put(257, 6, std::string("ustar\0", 6));
  h.put(263, 2, "00");
  h.octal(329, 8, 0); // devmajor
  h.octal(337, 8, 0); // devminor
  h.put(345, 155, prefix);
  h.checksum();
  out.write(h.b.data(), k_block);
}

void check_path(const std::string& p) {
  auto bad = [&](const char* why) { throw Error("cannot put " + (p.empty() ? std::string("\"\"") : p) + " in a layer: " + why); };
  if (p.empty()) bad("empty path");
  if (p.front() == '/') bad("the path must be relative to the image's root");
  if (p.back() == '/') bad("the path must not end with '/'");
  for (const auto& part : [&] {
         std::vector<std::string> parts;
         std::size_t start = 0;
         for (std::size_t i = 0; i <= p.size(); ++i)
           if (i == p.size() || p[i] == '/') {
             parts.push_back(p.substr(start, i - start));
             start = i + 1;
           }
         return parts;
       }())
    if (part.empty() || part == "." || part == "..") bad("empty, '.' or '..' path component");
}

} // namespace

void write_tar(std::vector<TarEntry> entries, std::int64_t mtime, Sink& out) {
  if (mtime < 0) mtime = 0;
  std::sort(entries.begin(), entries.end(), [](const TarEntry& a, const TarEntry& b) { return a.path < b.path; });
  for (std::size_t i = 0; i < entries.size(); ++i) {
    check_path(entries[i].path);
    if (i > 0 && entries[i].path == entries[i - 1].path) throw Error("cannot put " + entries[i].path + " in a layer twice");
  }
  for (const auto& e : entries) {
    switch (e.type) {
    case TarEntry::Type::directory:
      write_header(out, e.path + "/", '5', e.mode, 0, "", mtime);
      break;
    case TarEntry::Type::symlink:
      if (e.link.empty()) throw Error("cannot put " + e.path + " in a layer: a symlink needs a target");
      write_header(out, e.path, '2', 0777, 0, e.link, mtime);
      break;
    case TarEntry::Type::file:
      if (e.source.empty()) {
        write_header(out, e.path, '0', e.mode, e.content.size(), "", mtime);
        out.write(e.content.data(), e.content.size());
        pad(out, e.content.size());
      } else {
        struct stat st{};
        if (::stat(e.source.c_str(), &st) != 0) throw Error("cannot read " + e.source.string() + ": " + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) throw Error("cannot read " + e.source.string() + ": not a regular file");
        const auto size = static_cast<std::uint64_t>(st.st_size);
        write_header(out, e.path, '0', e.mode, size, "", mtime);
        const std::uint64_t copied = copy_file_to(e.source, out);
        if (copied != size) throw Error(e.source.string() + " changed while kf was reading it");
        pad(out, size);
      }
      break;
    }
  }
  static const std::array<char, 2 * k_block> k_end{};
  out.write(k_end.data(), k_end.size());
}

std::vector<TarEntry> with_parent_dirs(std::vector<TarEntry> entries, const std::function<bool(const std::string&)>& skip) {
  std::set<std::string> have;
  for (const auto& e : entries) have.insert(e.path);
  std::vector<TarEntry> dirs;
  for (const auto& e : entries)
    for (std::size_t slash = e.path.find('/'); slash != std::string::npos; slash = e.path.find('/', slash + 1)) {
      const std::string dir = e.path.substr(0, slash);
      if (have.count(dir) || (skip && skip(dir))) continue;
      have.insert(dir);
      TarEntry d;
      d.path = dir;
      d.type = TarEntry::Type::directory;
      d.mode = 0755;
      dirs.push_back(d);
    }
  for (auto& d : dirs) entries.push_back(std::move(d));
  return entries;
}

namespace {

std::uint64_t parse_octal(const char* p, std::size_t len) {
  // GNU base-256 for large values: high bit of the first byte set.
  if (len > 0 && (static_cast<unsigned char>(p[0]) & 0x80)) {
    std::uint64_t v = static_cast<unsigned char>(p[0]) & 0x7f;
    for (std::size_t i = 1; i < len; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }
  std::uint64_t v = 0;
  std::size_t i = 0;
  while (i < len && (p[i] == ' ' || p[i] == '\0')) ++i;
  for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i) v = (v << 3) | static_cast<std::uint64_t>(p[i] - '0');
  return v;
}

std::string field(const char* p, std::size_t len) { return std::string(p, strnlen(p, len)); }

std::string clean(std::string p) {
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

} // namespace

namespace {

// A small state machine over the byte stream: header blocks, then data to
// skip or collect (pax records, GNU long names), until two zero blocks.
class TarReader {
public:
  TarReader(std::string what, const std::function<void(const TarMember&)>& member) : m_what(std::move(what)), m_member(member) {}

  void feed(const char* data, std::size_t size) {
    if (m_ended) return;
    m_pending.append(data, size);
    std::size_t pos = 0;
    while (drop(pos) && gather(pos) && m_pending.size() - pos >= k_block) {
      const char* h = m_pending.data() + pos;
      pos += k_block;
      if (!header(h)) break;
    }
    m_pending.erase(0, pos);
  }

  void finish() const {
    if (!m_ended && (m_skip > 0 || m_collect > 0 || !m_pending.empty())) bad("truncated");
  }

private:
  [[noreturn]] void bad(const std::string& why) const {
    throw Error("cannot read " + m_what + ": not a valid tar (" + why + ")");
  }

  // Drops data being skipped; false while more is to come.
  bool drop(std::size_t& pos) {
    const std::uint64_t n = std::min<std::uint64_t>(m_skip, m_pending.size() - pos);
    pos += n;
    m_skip -= n;
    return m_skip == 0;
  }

  // Gathers a pax or long-name record's data; false while more is to come.
  bool gather(std::size_t& pos) {
    if (m_collect == 0) return true;
    const std::uint64_t n = std::min<std::uint64_t>(m_collect, m_pending.size() - pos);
    m_collected.append(m_pending, pos, n);
    pos += n;
    m_collect -= n;
    if (m_collect > 0) return false;
    const std::uint64_t padded = (m_collected.size() + k_block - 1) / k_block * k_block;
    m_skip = padded - m_collected.size(); // the padding is dropped next
    if (m_collect_type == 'x') parse_pax();
    else if (m_collect_type == 'L') m_long_name = field(m_collected.data(), m_collected.size());
    else if (m_collect_type == 'K') m_long_link = field(m_collected.data(), m_collected.size());
    m_collected.clear();
    return drop(pos) && gather(pos);
  }

  // "<len> <key>=<value>\n" records, as Go's archive/tar reads them: <len>
  // is the whole record's length in decimal, the record ends with '\n'.
  void parse_pax() {
    m_pax.clear();
    std::size_t i = 0;
    while (i < m_collected.size()) {
      const std::size_t sp = m_collected.find(' ', i);
      if (sp == std::string::npos || sp == i || sp - i > 7) bad("malformed pax record");
      std::size_t len = 0;
      for (std::size_t d = i; d < sp; ++d) {
        if (m_collected[d] < '0' || m_collected[d] > '9') bad("malformed pax record");
        len = len * 10 + static_cast<std::size_t>(m_collected[d] - '0');
      }
      if (len <= sp - i + 1 || len > m_collected.size() - i || m_collected[i + len - 1] != '\n')
        bad("malformed pax record");
      const std::string rec = m_collected.substr(sp + 1, i + len - sp - 2);
      const std::size_t eq = rec.find('=');
      if (eq == std::string::npos || eq == 0) bad("malformed pax record");
      m_pax[rec.substr(0, eq)] = rec.substr(eq + 1);
      i += len;
    }
  }

  // One header block; false after the end-of-archive blocks.
  bool header(const char* h) {
    if (std::all_of(h, h + k_block, [](char c) { return c == 0; })) {
      m_ended = ++m_zero_blocks == 2;
      return !m_ended;
    }
    m_zero_blocks = 0;
    if (std::memcmp(h + 257, "ustar", 5) != 0) bad("no ustar magic");
    unsigned sum = 0;
    for (std::size_t i = 0; i < k_block; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    if (sum != parse_octal(h + 148, 8)) bad("bad header checksum");
    const char type = h[156] ? h[156] : '0';
    const std::uint64_t len = parse_octal(h + 124, 12);
    if (type == 'x' || type == 'L' || type == 'K') {
      // Go's archive/tar bound: a base image's layer cannot make kf hold gigabytes for a name.
      if (len > k_max_special)
        bad(std::string(type == 'x' ? "a pax header" : "a GNU long name") + " of " + std::to_string(len) + " bytes; kf reads at most " +
            std::to_string(k_max_special));
      m_collect = len;
      m_collect_type = type;
      m_collected.clear();
      return true;
    }
    if (type == 'g') {
      m_skip = (len + k_block - 1) / k_block * k_block;
      return true;
    }
    const TarMember m = member(h, type, len);
    if (!m.path.empty()) m_member(m);
    const bool has_data = type == '0' || type == '7';
    m_skip = has_data ? (m.size + k_block - 1) / k_block * k_block : 0;
    return true;
  }

  // The member a header describes, with the pax and long names before it applied.
  TarMember member(const char* h, char type, std::uint64_t len) {
    TarMember m;
    const std::string prefix = field(h + 345, 155);
    m.path = field(h, 100);
    if (!prefix.empty()) m.path = prefix + "/" + m.path;
    m.link = field(h + 157, 100);
    if (!m_long_name.empty()) m.path = m_long_name;
    if (!m_long_link.empty()) m.link = m_long_link;
    if (m_pax.count("path")) m.path = m_pax["path"];
    if (m_pax.count("linkpath")) m.link = m_pax["linkpath"];
    if (m_pax.count("size")) len = std::strtoull(m_pax["size"].c_str(), nullptr, 10);
    m_long_name.clear();
    m_long_link.clear();
    m_pax.clear();
    m.path = clean(m.path);
    m.type = type;
    m.size = len;
    m.mode = static_cast<unsigned>(parse_octal(h + 100, 8));
    m.uid = parse_octal(h + 108, 8);
    m.gid = parse_octal(h + 116, 8);
    m.mtime = static_cast<std::int64_t>(parse_octal(h + 136, 12));
    return m;
  }

  std::string m_what;
  const std::function<void(const TarMember&)>& m_member;
  std::string m_pending;        // bytes not yet consumed
  std::uint64_t m_skip = 0;     // data bytes (with padding) still to drop
  std::uint64_t m_collect = 0;  // pax / GNU long-name data still to gather
  std::string m_collected;
  char m_collect_type = 0;
  std::string m_long_name, m_long_link;
  std::map<std::string, std::string> m_pax;
  int m_zero_blocks = 0;
  bool m_ended = false;
};

} // namespace

void read_tar(const std::filesystem::path& path, bool gunzip, const std::function<void(const TarMember&)>& member) {
  TarReader reader(path.string(), member);
  read_stream(path, gunzip, [&](const char* data, std::size_t size) { reader.feed(data, size); });
  reader.finish();
}

} // namespace kf::image
