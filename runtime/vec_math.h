#pragma once
// exp for element loops that the compiler vectorises. std::exp is a call
// into libm that GCC does not vectorise without -ffast-math (glibc declares
// its vector variants only then), so a loop with one runs one element at a
// time: the GELU of kf-server's transformer spent 12% of an inference there.
//
// Cephes' expf (S. L. Moshier): exp(x) = 2^n * exp(r) with n = round(x /
// ln 2) and |r| <= ln 2 / 2, exp(r) by a degree-6 polynomial; relative error
// under 1.5e-7, 8e-8 measured (tests/runtime/unit/test_vec_math.cpp pins it against std::exp).
// Inputs are clamped to [-87.3, 88.3], so exp of a very negative number is
// about 1e-38 rather than 0 or a subnormal, and NaN is not propagated: use
// it where the argument is finite (GELU, softmax after subtracting the max).
// Loops with it vectorise under -fno-trapping-math (runtime/CMakeLists.txt);
// without it GCC will not if-convert the clamp.

#include <bit>
#include <cstdint>

namespace kf::trainer::vec {

inline float exp(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.3f ? 88.3f : x; // 2^127 * exp(0.27): 2^128 would not fit the exponent
  // Round x / ln 2 to the nearest integer by adding and removing 1.5 * 2^23
  // (floor/nearbyint need SSE4.1 to vectorise; this needs nothing).
  const float shifter = 12582912.0f;
  const float n = (x * 1.44269504088896341f + shifter) - shifter;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f; // ln 2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  const auto scale = std::bit_cast<float>(static_cast<std::int32_t>((static_cast<std::int32_t>(n) + 127) << 23));
  return er * scale;
}

} // namespace kf::trainer::vec
