// vec::exp (runtime/vec_math.h) against std::exp: its error bound over the
// whole range it takes, exact values where they are exact, and its clamp.
#include "runtime/vec_math.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using kf::trainer::vec::exp;

TEST_CASE("vec::exp: within 1.5e-7 of std::exp from -87 to 88.3") {
  double worst = 0.0;
  float at = 0.0f;
  for (float x = -87.0f; x <= 88.3f; x += 0.000731f) {
    const double want = std::exp(static_cast<double>(x));
    const double error = std::fabs(static_cast<double>(exp(x)) - want) / want;
    if (error > worst) worst = error, at = x;
  }
  INFO("worst relative error " << worst << " at x = " << at);
  CHECK(worst < 1.5e-7); // 8e-8 measured; libm's expf: 6e-8
}

TEST_CASE("vec::exp: exact at 0 and powers of two at multiples of ln 2") {
  CHECK(exp(0.0f) == 1.0f);
  CHECK(exp(-0.0f) == 1.0f);
  CHECK(exp(1.0f) == doctest::Approx(2.718281828).epsilon(1e-7));
  CHECK(exp(-1.0f) == doctest::Approx(0.3678794412).epsilon(1e-7));
  CHECK(exp(10.0f * 0.693147180559945f) == doctest::Approx(1024.0).epsilon(1e-6));
}

TEST_CASE("vec::exp: clamps instead of overflowing or going subnormal") {
  const float tiny = exp(-1000.0f);
  CHECK(tiny > 0.0f);
  CHECK(tiny < 1.3e-38f);
  CHECK(tiny >= std::numeric_limits<float>::min()); // normal, not subnormal
  CHECK(exp(-std::numeric_limits<float>::infinity()) == tiny);
  const float huge = exp(1000.0f);
  CHECK(std::isfinite(huge));
  CHECK(huge > 2e38f);
}
