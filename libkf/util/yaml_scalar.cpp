// Plain-scalar typing: YAML 1.2's core schema for reading, and the check the
// emitter uses to decide when a string needs quotes so that YAML 1.1 readers
// (go-yaml v2, inside kubectl) and 1.2 readers alike read it back as a string.
// Hand-written matchers: these run for every scalar kf reads or writes.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "libkf/util/yaml.h"
#include "libkf/util/yaml_scalar.h"

namespace kf::yaml {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex_digit(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

std::string_view unsigned_part(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s;
}

// [-+]?[0-9]+
bool is_int(std::string_view s) { return all_of(unsigned_part(s), digit); }

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_float(std::string_view s) {
  s = unsigned_part(s);
  std::size_t i = 0;
  const std::size_t int_start = i;
  while (i < s.size() && digit(s[i])) ++i;
  const bool int_digits = i > int_start;
  bool frac_digits = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t frac_start = i;
    while (i < s.size() && digit(s[i])) ++i;
    frac_digits = i > frac_start;
  }
  if (!int_digits && !frac_digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (i >= s.size() || !all_of(s.substr(i), digit)) return false;
    return true;
  }
  return i == s.size();
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (s == w) return true;
  return false;
}

bool digit_or_underscore(char c) { return digit(c) || c == '_'; }

// YAML 1.1 forms that 1.2's core schema reads as strings.
bool yaml11_special(std::string_view s) {
  if (yaml11_bool(s) || one_of(s, {"=", "<<"})) return true;
  // Timestamps (2026-11-29, 2026-11-29T11:22:24Z): YAML 1.1 readers make them dates.
  if (s.size() >= 8 && all_of(s.substr(0, 4), digit) && s[4] == '-' && digit(s[5])) return true;
  const std::string_view u = unsigned_part(s);
  if (u.empty()) return false;
  if (u.size() > 2 && u[0] == '0' && u[1] == 'b') // binary
    return u.substr(2).find_first_not_of("01_") == std::string_view::npos;
  if (!digit(u[0])) return u[0] == '.' && u.size() > 1 && all_of(u.substr(1), digit_or_underscore);
  // Numbers with '_' separators, sexagesimal (1:20) and floats: any run of
  // digits, '_', ':', '.', 'e', '+', '-' starting with a digit is suspect.
  return u.find_first_not_of("0123456789_:.eE+-") == std::string_view::npos;
}

} // namespace

Json resolve_scalar(std::string_view s) {
  if (s.empty() || one_of(s, {"~", "null", "Null", "NULL"})) return nullptr;
  if (one_of(s, {"true", "True", "TRUE"})) return true;
  if (one_of(s, {"false", "False", "FALSE"})) return false;
  try {
    const std::string text(s);
    if (is_int(s)) {
      if (s[0] == '-') return std::stoll(text);
      return std::stoull(s[0] == '+' ? text.substr(1) : text);
    }
    if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && s.substr(2).find_first_not_of("01234567") == std::string_view::npos)
      return std::stoull(text.substr(2), nullptr, 8);
    if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && all_of(s.substr(2), hex_digit))
      return std::stoull(text.substr(2), nullptr, 16);
    if (is_float(s)) return std::stod(text);
  } catch (const std::out_of_range&) {
    return std::string(s); // too large for a number: keep the text
  }
  if (one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return std::numeric_limits<double>::infinity();
  if (one_of(s, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();
  if (one_of(s, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  return std::string(s);
}

std::optional<bool> yaml11_bool(std::string_view s) {
  if (one_of(s, {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})) return true;
  if (one_of(s, {"n", "N", "no", "No", "NO", "off", "Off", "OFF"})) return false;
  return std::nullopt;
}

bool reads_as_non_string(std::string_view s) { return s.empty() || !resolve_scalar(s).is_string() || yaml11_special(s); }

std::size_t yaml_break_or_c1(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (at(0) == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F) return 2;                    // U+0080..U+009F, NEL among them
  if (at(0) == 0xE2 && at(1) == 0x80 && (at(2) == 0xA8 || at(2) == 0xA9)) return 3; // U+2028, U+2029
  if (at(0) == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return 3;                    // U+FEFF
  return 0;
}

bool safe_plain(std::string_view s) {
  if (s.empty() || reads_as_non_string(s)) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  const char first = s.front();
  if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos) return false;
  if (first == '-' && (s.size() == 1 || s[1] == ' ' || s.substr(0, 3) == "---")) return false;
  if (s.substr(0, 3) == "...") return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || yaml_break_or_c1(s, i) != 0) return false;
    if (s[i] == ':' && i + 1 < s.size() && s[i + 1] == ' ') return false;
    if (s[i] == '#' && i > 0 && s[i - 1] == ' ') return false;
  }
  return true;
}

} // namespace kf::yaml
