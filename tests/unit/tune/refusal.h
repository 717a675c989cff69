#pragma once
// What make_suggester says of an algorithm over a space: its FieldError's
// text, or "accepted".
#include <string>

#include "libkf/tune/suggest.h"

namespace kf::tune::testing {

inline std::string refusal_of(const Algorithm& a, const SearchSpace& space) {
  try {
    make_suggester(a, space, Objective{}, 1);
  } catch (const FieldError& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace kf::tune::testing
