#pragma once
// Internal to util/yaml*.cpp (and kubeconfig.cpp, for yaml11_bool): when a
// string may be written as a plain scalar.

#include <optional>
#include <string_view>

namespace kf::yaml {

// The value of a YAML 1.1 boolean that 1.2's core schema reads as a string
// (yes/no, on/off, y/n in their three casings); nullopt for anything else.
std::optional<bool> yaml11_bool(std::string_view s);

// True when a YAML 1.1 reader (go-yaml v2, as in kubectl: yes/no/on/off, y/n,
// 1_000, 0b1, 1:20) or a 1.2 core-schema reader would take `s` for a null,
// bool or number.
bool reads_as_non_string(std::string_view s);

// Length of the UTF-8 sequence at s[i] when it is a character a YAML 1.1
// reader (yaml-cpp) takes for a line break or a byte-order mark, or one of
// the C1 controls YAML does not allow raw (U+0080..U+009F, U+2028, U+2029,
// U+FEFF); 0 otherwise. Such characters are only written escaped.
std::size_t yaml_break_or_c1(std::string_view s, std::size_t i);

// True when `s` can be written unquoted in block context and read back as
// this very string; conservative (anything doubtful is quoted).
bool safe_plain(std::string_view s);

} // namespace kf::yaml
