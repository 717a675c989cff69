// The JSON reader (runtime/server/json_reader.cpp): the same documents as
// nlohmann::json::parse, and every error message with its position.
#include "runtime/server/json_reader.h"

#include <doctest/doctest.h>

#include <string>

using namespace kf::server;
using nlohmann::json;

namespace {

std::string error_of(std::string_view text) {
  auto r = read_json(text);
  const auto* e = std::get_if<std::string>(&r);
  return e == nullptr ? "" : *e;
}

// read_json and nlohmann agree on the value and on every number's type.
void same_as_nlohmann(const std::string& text) {
  auto r = read_json(text);
  INFO(text, ": ", error_of(text));
  REQUIRE(std::holds_alternative<json>(r));
  CHECK(std::get<json>(r).dump() == json::parse(text).dump());
}

} // namespace

TEST_CASE("json reader: documents read as nlohmann reads them") {
  for (const char* text :
       {"0", "-0", "1.5", "-2.25e-3", "1E+2", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
        "-9223372036854775809", "1e-400", "4e-320", "0.1", "123456789012345678901234567890",
        "true", "false", "null", " \t\r\n[ ] ", "{}", "\xEF\xBB\xBF{\"a\":1}", R"({"a":[1,{"b":null}],"a":2})",
        R"("\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00\u0000")", "\"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"",
        R"([[[[[1]]]],[],{"":""}])"})
    same_as_nlohmann(text);
  auto r = read_json("[0.1, 7, -7, 1.0]");
  const json& j = std::get<json>(r);
  CHECK(j[0].get<double>() == 0.1);
  CHECK(j[1].is_number_unsigned());
  CHECK(j[2].is_number_integer());
  CHECK(j[3].is_number_float());
}

TEST_CASE("json reader: every error, with line and column") {
  CHECK(error_of("") == "at line 1, column 1: unexpected end of input");
  CHECK(error_of("  ") == "at line 1, column 3: unexpected end of input");
  CHECK(error_of("{\n  \"a\" 1}") == "at line 2, column 7: expected ':'");
  CHECK(error_of("{\"a\":1,}") == "at line 1, column 8: expected a string (an object key)");
  CHECK(error_of("{\"a\":1 \"b\":2}") == "at line 1, column 8: expected ',' or '}'");
  CHECK(error_of("[1 2]") == "at line 1, column 4: expected ',' or ']'");
  CHECK(error_of("[1,]") == "at line 1, column 4: expected a value");
  CHECK(error_of("[1") == "at line 1, column 3: unexpected end of input");
  CHECK(error_of("{\"a\"") == "at line 1, column 5: unexpected end of input");
  CHECK(error_of("tru") == "at line 1, column 1: invalid literal");
  CHECK(error_of("nul1") == "at line 1, column 1: invalid literal");
  CHECK(error_of("01") == "at line 1, column 2: unexpected characters after the value");
  CHECK(error_of("-") == "at line 1, column 1: invalid number");
  CHECK(error_of("[1e400]") == "at line 1, column 2: number out of range");
  CHECK(error_of("-1e400") == "at line 1, column 1: number out of range");
  CHECK(error_of("1.") == "at line 1, column 1: invalid number");
  CHECK(error_of("1e+") == "at line 1, column 1: invalid number");
  CHECK(error_of(".5") == "at line 1, column 1: expected a value");
  CHECK(error_of("NaN") == "at line 1, column 1: expected a value");
  CHECK(error_of("\"abc") == "at line 1, column 5: unexpected end of input in a string");
  CHECK(error_of("\"a\tb\"") == "at line 1, column 3: invalid string: control characters must be escaped");
  CHECK(error_of(R"("\x")") == "at line 1, column 3: invalid string: unknown escape");
  CHECK(error_of(R"("\u12")") == "at line 1, column 4: invalid string: \\u needs four hex digits");
  CHECK(error_of(R"("\udc00")") == "at line 1, column 8: invalid string: lone low surrogate");
  CHECK(error_of(R"("\ud800x")") == "at line 1, column 8: invalid string: a high surrogate must be followed by a low one");
  CHECK(error_of("\"\xC0\xAF\"") == "at line 1, column 2: invalid string: ill-formed UTF-8");
  CHECK(error_of("\"\xED\xA0\x80\"") == "at line 1, column 2: invalid string: ill-formed UTF-8");
  CHECK(error_of("// c\n1") == "at line 1, column 1: expected a value");
  CHECK(error_of(std::string(65, '[') + std::string(65, ']')) == "at line 1, column 65: nested more than 64 deep");
  CHECK(error_of(std::string(64, '[') + std::string(64, ']')).empty());
}
