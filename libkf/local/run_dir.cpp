#include "libkf/local/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"

namespace kf::local {

std::filesystem::path runs_root(const std::filesystem::path& project_dir) { return project_dir / ".kf" / "runs"; }
std::filesystem::path metadata_db(const std::filesystem::path& project_dir) { return project_dir / ".kf" / "metadata.db"; }

std::optional<Json> read_json(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return std::nullopt;
  const std::string text = fs::read_file(p);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw Error(p.string() + ": not valid JSON: " + e.what());
  }
}

void write_json(const std::filesystem::path& p, const Json& j) { fs::write_file_atomic(p, j.dump(2) + "\n"); }

FileLock::FileLock(const std::filesystem::path& path, bool wait) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) throw Error("cannot open " + path.string() + ": " + std::strerror(errno));
  int r;
  do r = ::flock(m_fd, LOCK_EX | (wait ? 0 : LOCK_NB));
  while (r != 0 && errno == EINTR);
  if (r != 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

FileLock::~FileLock() {
  if (m_fd >= 0) ::close(m_fd);
}

bool is_locked(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

} // namespace kf::local
