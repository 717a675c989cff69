#include "libkf/image/stream.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "libkf/util/error.h"

namespace kf::image {

namespace {
// Reads and compressed output go through buffers of this size. They are made
// for overwriting: zeroing a megabyte per stream would touch every page of it
// even when the stream is a few hundred bytes.
constexpr std::size_t k_chunk = 1 << 20;
}

FileSink::FileSink(const std::filesystem::path& path) : m_path(path) {
  m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (m_fd < 0) throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
}

FileSink::~FileSink() {
  if (m_fd >= 0) ::close(m_fd);
}

void FileSink::write(const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(m_fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write " + m_path.string() + ": " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void FileSink::finish() {
  if (m_fd < 0) return;
  const int fd = m_fd;
  m_fd = -1;
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw Error("cannot write " + m_path.string() + ": " + std::strerror(errno));
}

void HashSink::write(const char* data, std::size_t size) {
  m_hash.update(data, size);
  m_size += size;
  m_next.write(data, size);
}

std::string HashSink::digest() { return "sha256:" + m_hash.hex(); }

struct GzipSink::Impl {
  z_stream z{};
  std::unique_ptr<char[]> out = std::make_unique_for_overwrite<char[]>(k_chunk);
  bool done = false;
};

GzipSink::GzipSink(Sink& next, int level) : m_next(next), m(std::make_unique<Impl>()) {
  // windowBits 15 + 16: a gzip wrapper with zlib's default header (no name, mtime 0).
  if (deflateInit2(&m->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("cannot initialise gzip (zlib)");
}

GzipSink::~GzipSink() { deflateEnd(&m->z); }

void GzipSink::pump(int flush) {
  do {
    m->z.next_out = reinterpret_cast<Bytef*>(m->out.get());
    m->z.avail_out = static_cast<uInt>(k_chunk);
    const int rc = deflate(&m->z, flush);
    if (rc == Z_STREAM_ERROR) throw Error("gzip (zlib) failed");
    const std::size_t have = k_chunk - m->z.avail_out;
    if (have > 0) m_next.write(m->out.get(), have);
  } while (m->z.avail_out == 0);
}

void GzipSink::write(const char* data, std::size_t size) {
  while (size > 0) {
    const std::size_t n = std::min<std::size_t>(size, 1u << 30);
    m->z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    m->z.avail_in = static_cast<uInt>(n);
    pump(Z_NO_FLUSH);
    data += n;
    size -= n;
  }
}

void GzipSink::finish() {
  if (m->done) return;
  m->done = true;
  m->z.next_in = nullptr;
  m->z.avail_in = 0;
  pump(Z_FINISH);
  m_next.finish();
}

void read_stream(const std::filesystem::path& path, bool gunzip,
                 const std::function<void(const char* data, std::size_t size)>& chunk) {
  const std::unique_ptr<char[]> buf = std::make_unique_for_overwrite<char[]>(k_chunk);
  if (!gunzip) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
    while (true) {
      const ssize_t n = ::read(fd, buf.get(), k_chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        throw Error("cannot read " + path.string() + ": " + reason);
      }
      if (n == 0) break;
      try {
        chunk(buf.get(), static_cast<std::size_t>(n));
      } catch (...) {
        ::close(fd);
        throw;
      }
    }
    ::close(fd);
    return;
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  gzbuffer(gz, 1 << 17);
  while (true) {
    const int n = gzread(gz, buf.get(), static_cast<unsigned>(k_chunk));
    if (n < 0) {
      int errnum = 0;
      const std::string reason = gzerror(gz, &errnum);
      gzclose(gz);
      throw Error("cannot read " + path.string() + ": not valid gzip (" + reason + ")");
    }
    if (n == 0) break;
    try {
      chunk(buf.get(), static_cast<std::size_t>(n));
    } catch (...) {
      gzclose(gz);
      throw;
    }
  }
  gzclose(gz);
}

std::uint64_t copy_file_to(const std::filesystem::path& path, Sink& sink) {
  std::uint64_t total = 0;
  read_stream(path, false, [&](const char* d, std::size_t n) {
    sink.write(d, n);
    total += n;
  });
  return total;
}

} // namespace kf::image
