#include "libkf/util/dir_watch.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <thread>

namespace kf {

DirWatch::DirWatch(const std::filesystem::path& dir) {
  m_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (m_fd < 0) return;
  if (::inotify_add_watch(m_fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

DirWatch::~DirWatch() {
  if (m_fd >= 0) ::close(m_fd);
}

void DirWatch::wait(std::chrono::milliseconds timeout) {
  if (m_fd < 0) {
    std::this_thread::sleep_for(timeout);
    return;
  }
  pollfd p{m_fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  alignas(inotify_event) char buf[4096];
  while (::read(m_fd, buf, sizeof buf) > 0) {
  }
}

} // namespace kf
