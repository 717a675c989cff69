#pragma once
// Waits for a file to be written or renamed into a directory (Linux
// inotify), so whoever follows a local run sees its status change when the
// supervisor writes it, not at the next poll. Where inotify is unavailable
// (no more watches, another OS), wait() sleeps the whole timeout: the same
// poll as before, never a missed change.

#include <chrono>
#include <filesystem>

namespace kf {

class DirWatch {
public:
  explicit DirWatch(const std::filesystem::path& dir);
  ~DirWatch();
  DirWatch(const DirWatch&) = delete;
  DirWatch& operator=(const DirWatch&) = delete;

  // Until a file in the directory is closed after writing or renamed into
  // it, or `timeout` passes. The events seen are consumed.
  void wait(std::chrono::milliseconds timeout);

private:
  int m_fd = -1;
};

} // namespace kf
