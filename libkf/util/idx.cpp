#include "libkf/util/idx.h"

#include <zlib.h>

#include <memory>

#include "libkf/util/error.h"

namespace kf::idx {

namespace {

struct GzFile {
  gzFile f;
  explicit GzFile(const std::filesystem::path& p) : f(gzopen(p.c_str(), "rb")) {
    if (!f) throw Error("cannot open " + p.string());
  }
  ~GzFile() { gzclose(f); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
};

void read_exact(GzFile& g, void* buf, std::size_t n, const std::filesystem::path& p) {
  if (gzread(g.f, buf, static_cast<unsigned>(n)) != static_cast<int>(n)) throw Error(p.string() + ": truncated IDX file");
}

std::uint32_t be32(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

// Opens an IDX file of unsigned bytes; returns its dimensions, positioned at the data.
std::vector<std::uint32_t> header(GzFile& g, const std::filesystem::path& p) {
  unsigned char magic[4];
  read_exact(g, magic, 4, p);
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] == 0 || magic[3] > 4)
    throw Error(p.string() + ": not an IDX file of unsigned bytes");
  std::vector<std::uint32_t> dims(magic[3]);
  for (auto& d : dims) {
    unsigned char b[4];
    read_exact(g, b, 4, p);
    d = be32(b);
  }
  return dims;
}

} // namespace

Sample read_sample(const std::filesystem::path& images, const std::filesystem::path& labels, std::size_t index) {
  Sample s;
  GzFile gi(images);
  const auto dims = header(gi, images);
  if (dims.size() != 3) throw Error(images.string() + ": expected images (3 dimensions), found " + std::to_string(dims.size()));
  s.count = dims[0];
  if (index >= s.count)
    throw Error("sample " + std::to_string(index) + " is out of range: " + images.string() + " has " + std::to_string(s.count));
  s.shape = {dims[1], dims[2]};
  const std::size_t size = std::size_t{dims[1]} * dims[2];
  if (gzseek(gi.f, static_cast<z_off_t>(16 + index * size), SEEK_SET) < 0) throw Error(images.string() + ": truncated IDX file");
  s.pixels.resize(size);
  read_exact(gi, s.pixels.data(), size, images);
  GzFile gl(labels);
  const auto ldims = header(gl, labels);
  if (ldims.size() != 1 || ldims[0] != s.count)
    throw Error(labels.string() + ": expected " + std::to_string(s.count) + " labels");
  if (gzseek(gl.f, static_cast<z_off_t>(8 + index), SEEK_SET) < 0) throw Error(labels.string() + ": truncated IDX file");
  unsigned char label = 0;
  read_exact(gl, &label, 1, labels);
  s.label = label;
  return s;
}

} // namespace kf::idx
