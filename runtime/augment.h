#pragma once
// Random changes to a batch of training images, each sample its own:
// crop shifts the image by up to `shift` pixels each way, filling with
// zeros (torchvision's RandomCrop(size, padding=shift)); flip mirrors it
// left-right with probability 1/2 (RandomHorizontalFlip).

#include "runtime/rng.h"
#include "runtime/tensor.h"

#include <string>

namespace kf::trainer {

struct Augment {
  bool crop = false;
  bool flip = false;
  std::size_t shift = 2;
  bool any() const { return crop || flip; }
};

// "none", "crop", "flip", "crop,flip" (either order); throws UsageError.
Augment parse_augment(const std::string& text);

// x: [N, C, H, W], changed in place.
void augment_batch(Tensor& x, const Augment& a, Rng& rng);

} // namespace kf::trainer
