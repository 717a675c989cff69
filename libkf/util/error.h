#pragma once
// The one error family of kf. Everything libkf throws derives from kf::Error;
// cli/main.cpp catches it once and maps it to an exit code:
//   kf::Error       -> 1 (the operation failed)
//   kf::UsageError  -> 2 (bad flags or arguments)
//   kf::SpecError   -> 2 (bad kf.yaml, values file, --set or manifest)
// Third-party failures (yaml-cpp, libgit2, ...) are translated into these
// where the library is called. "Not found" is std::optional, not an error.

#include <string>
#include <vector>

#include "contract/error.h" // Error, UsageError

namespace kf {

// One or more diagnostics, each already formatted as
// "file:line:col: field.path: message". what() joins them with newlines.
class SpecError : public Error {
public:
  explicit SpecError(std::vector<std::string> diagnostics);
  explicit SpecError(std::string diagnostic);
  int exit_code() const override { return 2; }
  const std::vector<std::string>& diagnostics() const { return m_diagnostics; }

private:
  std::vector<std::string> m_diagnostics;
};

// A bad field of a Kubernetes object (a manifest given with -f, or an
// object kf rendered): `path` as kubectl spells it
// ("spec.algorithm.algorithmSettings[1].value"), `message` what is wrong.
// what() is "path: message", or 'Kind "name": path: message' once the
// object is known (of()); whoever read the object from a file maps the path
// to file:line:col (yaml::node_at) and says "file:line:col: path: message".
class FieldError : public Error {
public:
  FieldError(std::string path, std::string message, std::string object = "");
  int exit_code() const override { return 2; }
  const std::string& path() const { return m_path; }
  const std::string& message() const { return m_message; }
  const std::string& object() const { return m_object; }
  // The same error, naming the object: 'PyTorchJob "demo"'.
  FieldError of(const std::string& kind, const std::string& name) const;

private:
  std::string m_path, m_message, m_object;
};

} // namespace kf
