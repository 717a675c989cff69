#pragma once
// kf-trainer's error family. Everything the trainer throws derives from
// trainer::Error; main() catches it once, prints "kf-trainer: error: <what>"
// and exits with exit_code(): 1 for a failed run, 2 for bad flags or
// environment (UsageError). Third-party failures (Gloo, libcurl, zlib) are
// translated into these where the library is called.

#include <stdexcept>
#include <string>

namespace kf::trainer {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
  virtual int exit_code() const { return 1; }
};

class UsageError : public Error {
public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

} // namespace kf::trainer
