#pragma once
// kf-trainer's error family. Everything the trainer throws derives from
// trainer::Error; main() catches it once, prints "kf-trainer: error: <what>"
// and exits with exit_code(): 1 for a failed run, 2 for bad flags or
// environment (UsageError). Third-party failures (Gloo, libcurl, zlib) are
// translated into these where the library is called.

#include <string>

#include "contract/error.h"

namespace kf::trainer {

using Error = kf::Error;
using UsageError = kf::UsageError;

} // namespace kf::trainer
