#pragma once
// File helpers that never leave a partial file behind.

#include <filesystem>
#include <string>
#include <string_view>

namespace kf::fs {

namespace stdfs = std::filesystem;

// Whole file as a string; throws kf::Error "cannot read PATH: reason".
std::string read_file(const stdfs::path& path);

// Writes to a temporary file beside `path`, fsyncs it and renames it over
// `path`, so readers see the old content or the new, never a torn file.
void write_file_atomic(const stdfs::path& path, std::string_view content, stdfs::perms perms = stdfs::perms::unknown);

// A fresh, empty directory "<parent>/.<stem>.XXXXXX" created with mkdtemp.
stdfs::path make_temp_dir(const stdfs::path& parent, const std::string& stem);

// Removes a directory tree on destruction unless release() was called.
class TempDirGuard {
public:
  explicit TempDirGuard(stdfs::path dir) : m_dir(std::move(dir)) {}
  ~TempDirGuard();
  TempDirGuard(const TempDirGuard&) = delete;
  TempDirGuard& operator=(const TempDirGuard&) = delete;
  const stdfs::path& path() const { return m_dir; }
  void release() { m_dir.clear(); }

private:
  stdfs::path m_dir;
};

} // namespace kf::fs
