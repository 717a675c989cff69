#pragma once
// What every action gets from main: a place to report progress and the
// global settings. Built once in cli/main.cpp; a test builds one in a line:
//   kf::action::Context ctx{reporter};
// libkf never writes to stdout or stderr itself; actions return data and
// tell the Reporter about progress.

#include <string_view>

namespace kf::action {

class Reporter {
public:
  virtual ~Reporter() = default;
  virtual void info(std::string_view message) = 0;    // a step done ("created kf.yaml")
  virtual void warn(std::string_view message) = 0;    // something the user should know
  virtual void debug(std::string_view message) = 0;   // shown with -v only
};

// Drops everything; for tests and for callers that only want the result.
class NullReporter final : public Reporter {
public:
  void info(std::string_view) override {}
  void warn(std::string_view) override {}
  void debug(std::string_view) override {}
};

struct Context {
  Reporter& reporter;
};

} // namespace kf::action
