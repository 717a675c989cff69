// libFuzzer target: kf-trainer's data files (runtime/readers.cpp), gzip or
// plain. An even first byte: the rest as a CSV table (label column first or
// last, by the second bit); an odd one: two bytes (little-endian) giving the
// length of an IDX image file, that file, then an IDX label file, read whole
// and as one rank keeps it (the first byte's upper bits: workers 1-4, the
// rank, a --train-limit of 0-7), which must be those samples of the whole.
// Bad files may only raise kf::Error; a dataset read must be whole: as many
// labels as samples, every sample of the shape it claims, every value finite.
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
      const kf::trainer::Dataset whole = kf::trainer::read_idx(images, labels);
      check_whole(whole);
      const int world = 1 + ((data[0] >> 1) & 3);
      const kf::trainer::Keep keep{std::size_t{data[0]} >> 5, ((data[0] >> 3) & 3) % world, world, true};
      const kf::trainer::Dataset mine = kf::trainer::read_idx(images, labels, keep); // may refuse: too few samples
      check_whole(mine);
      const kf::trainer::Kept k = kf::trainer::kept(whole.size(), keep);
      if (mine.size() != k.count || mine.classes != whole.classes || mine.sample_shape != whole.sample_shape) std::abort();
      const std::size_t s = whole.sample_size();
      for (std::size_t j = 0; j < k.count; ++j) {
        const std::size_t i = k.first + j * k.step;
        if (mine.labels[j] != whole.labels[i] ||
            !std::equal(mine.images.begin() + static_cast<std::ptrdiff_t>(j * s),
                        mine.images.begin() + static_cast<std::ptrdiff_t>((j + 1) * s),
                        whole.images.begin() + static_cast<std::ptrdiff_t>(i * s)))
          std::abort();
      }
    }
  } catch (const kf::Error&) {
  }
  return 0;
}
