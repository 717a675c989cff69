// IDX and CSV readers (zlib reads gzip and plain files alike) and the
// synthetic generator.
#include "runtime/data.h"

#include "runtime/error.h"
#include "runtime/rng.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace kf::trainer {

namespace {

// How many bytes reading `path` will give, to reserve them at once (a
// dataset is tens of megabytes: growing the string step by step copies it
// and touches twice its pages): a gzip file's ISIZE trailer (the size mod
// 2^32; RFC 1952), at most what deflate's best ratio (1032:1) could give
// the file's size, so a damaged trailer reserves no more than a real file
// could need; another file's size. Only a hint: 0 when unknown.
std::size_t size_hint(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return 0;
  unsigned char magic[2] = {0, 0}, trailer[4] = {0, 0, 0, 0};
  const bool gzip = std::fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  const long end = std::fseek(f, 0, SEEK_END) == 0 ? std::ftell(f) : -1;
  std::size_t hint = end > 0 ? static_cast<std::size_t>(end) : 0;
  if (gzip) {
    const bool read = hint >= 4 && std::fseek(f, -4, SEEK_END) == 0 && std::fread(trailer, 1, 4, f) == 4;
    const std::size_t isize = std::size_t{trailer[0]} | std::size_t{trailer[1]} << 8 |
                              std::size_t{trailer[2]} << 16 | std::size_t{trailer[3]} << 24;
    hint = read ? std::min(isize, hint * 1032) : 0;
  }
  std::fclose(f);
  return hint;
}

} // namespace

std::string read_data_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw Error("data: cannot open " + path + ": " + std::strerror(errno));
  std::string out;
  out.reserve(size_hint(path));
  char buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      throw Error("data: " + path + ": corrupt or unreadable gzip data (" + msg + ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  // gzread stops quietly at a truncated gzip stream; gzclose reports it.
  int code = 0;
  const char* msg = gzerror(f, &code);
  if (code != Z_OK && code != Z_BUF_ERROR) {
    std::string m = msg;
    gzclose(f);
    throw Error("data: " + path + ": corrupt or unreadable gzip data (" + m + ")");
  }
  if (gzclose(f) == Z_BUF_ERROR) throw Error("data: " + path + ": truncated gzip file");
  return out;
}

namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// Returns the dimensions of an unsigned-byte IDX file with `ndims` dims.
std::vector<std::size_t> idx_header(const std::string& bytes, const std::string& path, std::uint32_t ndims,
                                    const char* what) {
  if (bytes.size() < 4 + 4 * ndims) throw Error("data: " + path + ": too short to be an IDX " + what + " file");
  const std::uint32_t magic = be32(bytes, 0);
  if (magic != (0x0800u | ndims)) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    throw Error("data: " + path + ": not an IDX " + what + " file (magic " + hex + ", expected " +
                std::to_string(0x0800u | ndims) + ")");
  }
  std::vector<std::size_t> dims;
  std::size_t total = 1;
  bool overflow = false;
  std::string shown;
  for (std::uint32_t i = 0; i < ndims; ++i) {
    dims.push_back(be32(bytes, 4 + 4 * i));
    overflow = overflow || __builtin_mul_overflow(total, dims.back(), &total);
    shown += (i ? " x " : "") + std::to_string(dims.back());
  }
  if (overflow) throw Error("data: " + path + ": the header's dimensions (" + shown + ") are past any file's size");
  if (total == 0) throw Error("data: " + path + ": no samples (the header's dimensions are " + shown + ")");
  const std::size_t have = bytes.size() - 4 - 4 * ndims;
  if (have < total)
    throw Error("data: " + path + ": truncated: the header promises " + std::to_string(total) +
                " bytes of data but the file has " + std::to_string(have));
  return dims;
}

} // namespace

Dataset read_idx(const std::string& images_path, const std::string& labels_path, const Keep& keep) {
  const std::string img = read_data_file(images_path);
  const std::string lab = read_data_file(labels_path);
  const auto idims = idx_header(img, images_path, 3, "image");
  const auto ldims = idx_header(lab, labels_path, 1, "label");
  if (idims[0] != ldims[0])
    throw Error("data: " + images_path + " has " + std::to_string(idims[0]) + " images but " + labels_path +
                " has " + std::to_string(ldims[0]) + " labels");
  Dataset d;
  d.sample_shape = {1, idims[1], idims[2]};
  std::uint8_t max_label = 1;
  for (std::size_t i = 0; i < ldims[0]; ++i) max_label = std::max(max_label, static_cast<std::uint8_t>(lab[8 + i]));
  d.classes = max_label + 1u;
  const Kept k = kept(ldims[0], keep);
  const std::size_t s = idims[1] * idims[2];
  d.images.resize(k.count * s);
  d.labels.resize(k.count);
  for (std::size_t j = 0; j < k.count; ++j) {
    const std::size_t i = k.first + j * k.step;
    d.labels[j] = static_cast<std::uint8_t>(lab[8 + i]);
    const auto* from = reinterpret_cast<const unsigned char*>(img.data()) + 16 + i * s;
    float* to = d.images.data() + j * s;
    for (std::size_t p = 0; p < s; ++p) to[p] = static_cast<float>(from[p]) / 255.0f;
  }
  return d;
}

Dataset read_csv(const std::string& path, const std::string& label_column) {
  if (label_column != "first" && label_column != "last")
    throw UsageError("--csv-label-column must be first or last, got '" + label_column + "'");
  const std::string text = read_data_file(path);
  Dataset d;
  std::vector<float> row;
  std::size_t fields = 0, line_no = 0, pos = 0;
  float max_value = 0.0f;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    row.clear();
    bool numeric = true;
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = std::min(line.find(',', start), line.size());
      std::string_view field = line.substr(start, comma - start);
      while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
      float v = 0.0f;
      auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
      if (ec == std::errc::result_out_of_range)
        throw Error("data: " + path + ":" + std::to_string(line_no) + ": '" + std::string(field) + "' is past a 32-bit float's range");
      if (ec != std::errc() || ptr != field.data() + field.size()) {
        if (line_no == 1 && d.size() == 0) { numeric = false; break; } // header line
        throw Error("data: " + path + ":" + std::to_string(line_no) + ": '" + std::string(field) + "' is not a number");
      }
      if (!std::isfinite(v))
        throw Error("data: " + path + ":" + std::to_string(line_no) + ": '" + std::string(field) + "' is not a finite number");
      row.push_back(v);
      if (comma >= line.size()) break;
      start = comma + 1;
    }
    if (!numeric) continue;
    if (fields == 0) fields = row.size();
    if (row.size() != fields || fields < 2)
      throw Error("data: " + path + ":" + std::to_string(line_no) + ": expected " + std::to_string(fields) +
                  " fields, got " + std::to_string(row.size()));
    const float label = label_column == "first" ? row.front() : row.back();
    if (label < 0.0f || label > 255.0f || label != std::floor(label))
      throw Error("data: " + path + ":" + std::to_string(line_no) + ": label must be an integer 0..255");
    d.labels.push_back(static_cast<std::uint8_t>(label));
    const std::size_t first = label_column == "first" ? 1 : 0;
    for (std::size_t i = 0; i + 1 < fields; ++i) {
      d.images.push_back(row[first + i]);
      max_value = std::max(max_value, row[first + i]);
    }
  }
  if (d.size() == 0) throw Error("data: " + path + ": no samples");
  const std::size_t features = fields - 1;
  const auto side = static_cast<std::size_t>(std::lround(std::sqrt(static_cast<double>(features))));
  d.sample_shape = side * side == features ? Shape{1, side, side} : Shape{1, 1, features};
  if (max_value > 1.0f)
    for (float& v : d.images) v /= max_value;
  std::uint8_t max_label = 1;
  for (auto l : d.labels) max_label = std::max(max_label, l);
  d.classes = max_label + 1u;
  return d;
}

Dataset synthetic_dataset(std::size_t samples, std::size_t side, int split) {
  constexpr std::size_t k_classes = 10;
  const std::size_t pixels = side * side;
  // Fixed prototypes (independent of --seed, so every run sees the same task).
  Rng proto_rng(20240501);
  std::vector<float> protos(k_classes * pixels);
  for (float& p : protos) p = proto_rng.uniform(0.2f, 0.8f);
  Rng rng(split == 0 ? 1001 : 2002);
  Dataset d;
  d.sample_shape = {1, side, side};
  d.classes = k_classes;
  d.images.resize(samples * pixels);
  d.labels.resize(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    const std::size_t c = rng.below(k_classes);
    d.labels[i] = static_cast<std::uint8_t>(c);
    for (std::size_t p = 0; p < pixels; ++p)
      d.images[i * pixels + p] = std::clamp(protos[c * pixels + p] + 0.3f * rng.normal(), 0.0f, 1.0f);
  }
  return d;
}

} // namespace kf::trainer
