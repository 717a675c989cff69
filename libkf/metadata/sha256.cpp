// sha256_path (runs.h): artifact digests of files and directories.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "libkf/metadata/runs.h"
#include "libkf/util/error.h"
#include "libkf/util/sha256.h"

namespace kf::metadata {
namespace {

namespace stdfs = std::filesystem;

std::string hash_file(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error("cannot hash " + p.string() + ": " + std::strerror(errno));
  Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error("cannot hash " + p.string() + ": read error");
  return h.hex();
}

} // namespace

std::string sha256_path(const stdfs::path& p) {
  std::error_code ec;
  auto status = stdfs::status(p, ec);
  if (ec) throw Error("cannot hash " + p.string() + ": " + ec.message());
  if (stdfs::is_regular_file(status)) return hash_file(p);
  if (!stdfs::is_directory(status)) throw Error("cannot hash " + p.string() + ": not a regular file or directory");

  std::vector<std::string> files;
  for (stdfs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path().lexically_relative(p).generic_string());
  if (ec) throw Error("cannot hash " + p.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  Sha256 h;
  for (const auto& rel : files) {
    std::string line = rel + '\0' + hash_file(p / rel) + '\n';
    h.update(line.data(), line.size());
  }
  return h.hex();
}

} // namespace kf::metadata
