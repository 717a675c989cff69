// libFuzzer target: kf-trainer's data files (runtime/readers.cpp), gzip or
// plain. An even first byte: the rest as a CSV table (label column first or
// last, by the second bit); an odd one: two bytes (little-endian) giving the
// length of an IDX image file, that file, then an IDX label file. Bad files may only raise
// kf::Error; a dataset read must be whole: as many labels as samples, every
// sample of the shape it claims, every value finite.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/data.h"
#include "runtime/error.h"
#include "tests/fuzz/scratch_file.h"

namespace {

void check_whole(const kf::trainer::Dataset& d) {
  std::size_t per_sample = 1;
  for (const std::size_t dim : d.sample_shape)
    if (__builtin_mul_overflow(per_sample, dim, &per_sample)) std::abort();
  std::size_t values = 0;
  if (__builtin_mul_overflow(per_sample, d.labels.size(), &values) || values != d.images.size()) std::abort();
  for (const float v : d.images)
    if (!std::isfinite(v)) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if ((data[0] & 1) == 0) {
      const std::string path = kf::fuzz::scratch_file("table.csv", data + 1, size - 1);
      check_whole(kf::trainer::read_csv(path, (data[0] & 2) ? "first" : "last"));
    } else {
      if (rest.size() < 2) return 0;
      const std::size_t n = std::min<std::size_t>(data[1] | (std::size_t{data[2]} << 8), rest.size() - 2);
      const std::string images = kf::fuzz::scratch_file("images.idx", data + 3, n);
      const std::string labels = kf::fuzz::scratch_file("labels.idx", data + 3 + n, rest.size() - 2 - n);
      check_whole(kf::trainer::read_idx(images, labels));
    }
  } catch (const kf::Error&) {
  }
  return 0;
}
