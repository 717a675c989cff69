#pragma once
// Internal to util/yaml*.cpp: when a string may be written as a plain scalar.

#include <string_view>

namespace kf::yaml {

// True when a YAML 1.1 reader (go-yaml v2, as in kubectl: yes/no/on/off, y/n,
// 1_000, 0b1, 1:20) or a 1.2 core-schema reader would take `s` for a null,
// bool or number.
bool reads_as_non_string(std::string_view s);

// True when `s` can be written unquoted in block context and read back as
// this very string; conservative (anything doubtful is quoted).
bool safe_plain(std::string_view s);

} // namespace kf::yaml
