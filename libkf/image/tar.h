#pragma once
// Reproducible tar archives for image layers, and a reader for the layers of
// base images.
//
// write_tar() sorts the entries by path and writes POSIX ustar headers
// (a pax 'x' header only for paths or link targets that do not fit), with
// uid/gid 0, no user or group names and the same mtime on every entry, so
// the same entries always give the same bytes. Paths are relative, with '/'
// separators and no leading '/' ("usr/local/bin/kf-trainer"); directories
// are written as "usr/". Parent directories are not invented: the caller
// lists them (with_parent_dirs() does it).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "libkf/image/stream.h"

namespace kf::image {

struct TarEntry {
  enum class Type { file, directory, symlink };
  std::string path;
  Type type = Type::file;
  unsigned mode = 0644;            // permission bits only
  std::filesystem::path source;    // file: copy this host file (when set) ...
  std::string content;             // ... else these bytes
  std::string link;                // symlink: the target, as written
};

// Writes the archive (entries sorted, end-of-archive blocks included).
// Throws kf::Error for a duplicate or malformed path, or a source file that
// cannot be read or changes size while it is copied.
void write_tar(std::vector<TarEntry> entries, std::int64_t mtime, Sink& out);

// Adds a directory entry (mode 0755) for every missing parent of every
// entry, except the parents for which `skip(path)` is true (a base image's
// directory or symlink that the layer must not replace).
std::vector<TarEntry> with_parent_dirs(std::vector<TarEntry> entries,
                                       const std::function<bool(const std::string&)>& skip = {});

// What the reader reports for each member: the path as stored (without a
// leading "./" or "/" and without a trailing "/"), type, link target.
struct TarMember {
  std::string path;
  char type = '0';     // ustar typeflag: '0' file, '5' directory, '2' symlink, '1' hard link, ...
  std::string link;
  std::uint64_t size = 0;
  unsigned mode = 0;
  std::uint64_t uid = 0, gid = 0;
  std::int64_t mtime = 0;
};

// Streams a tar (plain or gzip, `gunzip`) from `path`, calling `member` for
// each entry (contents are skipped). Understands ustar prefixes, pax 'x'
// headers (path, linkpath, size) and GNU long names ('L', 'K').
void read_tar(const std::filesystem::path& path, bool gunzip, const std::function<void(const TarMember&)>& member);

} // namespace kf::image
