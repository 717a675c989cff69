#pragma once
// Reading one sample of an MNIST-format IDX file pair (images + labels,
// gzip or plain), as kf-trainer's datasets come (for `kf predict`).

#include <cstdint>
#include <filesystem>
#include <vector>

namespace kf::idx {

struct Sample {
  std::vector<std::uint8_t> pixels; // rows x cols
  std::vector<std::uint32_t> shape; // [rows, cols]
  int label = -1;
  std::size_t count = 0;            // samples in the file
};

// Throws kf::Error naming the file for anything that is not IDX or an index out of range.
Sample read_sample(const std::filesystem::path& images, const std::filesystem::path& labels, std::size_t index);

} // namespace kf::idx
