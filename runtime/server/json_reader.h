#pragma once
// read_json: a strict RFC 8259 JSON reader into nlohmann::json, several
// times faster than nlohmann::json::parse on request bodies (numbers go
// through std::from_chars, correctly rounded like strtod). It accepts
// exactly what nlohmann::json::parse accepts (tests/fuzz/fuzz_infer_request
// checks both agree), except documents nested deeper than k_max_json_depth.
// Errors name the line and column: "at line 1, column 7: expected ':'".
// Never throws except std::bad_alloc.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace kf::server {

inline constexpr int k_max_json_depth = 64;

// The document, or the error message.
std::variant<nlohmann::json, std::string> read_json(std::string_view text);

} // namespace kf::server
