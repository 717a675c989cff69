#include "libkf/util/error.h"

namespace kf {
namespace {
std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}
} // namespace

SpecError::SpecError(std::vector<std::string> diagnostics)
    : Error(join_lines(diagnostics)), m_diagnostics(std::move(diagnostics)) {}

SpecError::SpecError(std::string diagnostic)
    : Error(diagnostic), m_diagnostics{std::move(diagnostic)} {}

FieldError::FieldError(std::string path, std::string message, std::string object)
    : Error((object.empty() ? "" : object + ": ") + path + ": " + message), m_path(std::move(path)),
      m_message(std::move(message)), m_object(std::move(object)) {}

FieldError FieldError::of(const std::string& kind, const std::string& name) const {
  return FieldError(m_path, m_message, kind + " \"" + name + "\"");
}

} // namespace kf
