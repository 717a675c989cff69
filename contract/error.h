#pragma once
// The error family both kf (libkf/util/error.h adds SpecError) and its
// runtime programs (runtime/error.h) throw, and the exit codes their main()
// maps it to, caught once: Error -> 1 (the operation failed), UsageError -> 2
// (bad flags, arguments or environment).

#include <stdexcept>

namespace kf {

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

} // namespace kf
