#include "libkf/util/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "libkf/util/error.h"

namespace kf::fs {

std::string read_file(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_atomic(const stdfs::path& path, std::string_view content, stdfs::perms perms) {
  const stdfs::path dir = path.has_parent_path() ? path.parent_path() : stdfs::path(".");
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp.XXXXXX"; // mkstemp replaces the XXXXXX
  std::string tmpl = (dir / name).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
  const std::string tmp(buf.data());
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(std::string("cannot write ") + path.string() + ": " + what + ": " + reason);
  };
  std::size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    off += static_cast<std::size_t>(n);
  }
  const auto mode = perms == stdfs::perms::unknown ? 0644 : static_cast<int>(perms);
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) fail("chmod");
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path.string() + ": " + reason);
  }
}

stdfs::path make_temp_dir(const stdfs::path& parent, const std::string& stem) {
  std::string tmpl = (parent / ("." + stem + ".XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw Error("cannot create a directory in " + parent.string() + ": " + std::strerror(errno));
  return stdfs::path(buf.data());
}

TempDirGuard::~TempDirGuard() {
  if (m_dir.empty()) return;
  std::error_code ec;
  stdfs::remove_all(m_dir, ec);
}

} // namespace kf::fs
