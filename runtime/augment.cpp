// Random crop and flip of training images (augment.h).
#include "runtime/augment.h"

#include "runtime/error.h"

#include <vector>

namespace kf::trainer {

Augment parse_augment(const std::string& text) {
  Augment a;
  if (text == "none") return a;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    if (item == "crop") a.crop = true;
    else if (item == "flip") a.flip = true;
    else throw UsageError("--augment=" + text + ": expected none, or crop and flip separated by a comma");
    start = comma + 1;
  }
  return a;
}

void augment_batch(Tensor& x, const Augment& a, Rng& rng) {
  if (!a.any() || x.shape.size() != 4) return;
  const std::size_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  const auto span = static_cast<std::ptrdiff_t>(a.shift);
  std::vector<float> plane(h * w);
  for (std::size_t i = 0; i < n; ++i) {
    const std::ptrdiff_t dy = a.crop ? static_cast<std::ptrdiff_t>(rng.below(2 * a.shift + 1)) - span : 0;
    const std::ptrdiff_t dx = a.crop ? static_cast<std::ptrdiff_t>(rng.below(2 * a.shift + 1)) - span : 0;
    const bool mirror = a.flip && rng.below(2) == 1;
    for (std::size_t ch = 0; ch < c; ++ch) {
      float* p = x.ptr() + (i * c + ch) * h * w;
      for (std::size_t y = 0; y < h; ++y)
        for (std::size_t col = 0; col < w; ++col) {
          // Output (y, col) reads input (y + dy, col' + dx), col' mirrored when flipping.
          const auto sy = static_cast<std::ptrdiff_t>(y) + dy;
          const auto sx = static_cast<std::ptrdiff_t>(mirror ? w - 1 - col : col) + dx;
          const bool inside = sy >= 0 && sx >= 0 && sy < static_cast<std::ptrdiff_t>(h) && sx < static_cast<std::ptrdiff_t>(w);
          plane[y * w + col] = inside ? p[static_cast<std::size_t>(sy) * w + static_cast<std::size_t>(sx)] : 0.0f;
        }
      std::copy(plane.begin(), plane.end(), p);
    }
  }
}

} // namespace kf::trainer
