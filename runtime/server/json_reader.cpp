// A recursive-descent JSON reader (depth-limited) building nlohmann::json.
#include "runtime/server/json_reader.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace kf::server {

namespace {

using nlohmann::json;

class Reader {
public:
  explicit Reader(std::string_view text) : m_begin(text.data()), m_p(text.data()), m_end(text.data() + text.size()) {}

  bool document(json& out) {
    // nlohmann skips a UTF-8 byte order mark.
    if (m_end - m_p >= 3 && std::string_view(m_p, 3) == "\xEF\xBB\xBF") m_p += 3;
    skip_ws();
    if (!value(out, 0)) return false;
    skip_ws();
    if (m_p != m_end) return fail("unexpected characters after the value");
    return true;
  }

  std::string error() const {
    std::size_t line = 1, column = 1;
    for (const char* c = m_begin; c < m_error_at; ++c) {
      if (*c == '\n') ++line, column = 1;
      else ++column;
    }
    return "at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + m_error;
  }

private:
  bool fail(std::string what) {
    m_error = std::move(what);
    m_error_at = m_p;
    return false;
  }

  void skip_ws() {
    while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r')) ++m_p;
  }

  bool value(json& out, int depth) {
    if (m_p == m_end) return fail("unexpected end of input");
    switch (*m_p) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': {
        std::string s;
        if (!string(s)) return false;
        out = std::move(s);
        return true;
      }
      case 't': return literal("true", json(true), out);
      case 'f': return literal("false", json(false), out);
      case 'n': return literal("null", json(nullptr), out);
      default:
        if (*m_p == '-' || (*m_p >= '0' && *m_p <= '9')) return number(out);
        return fail("expected a value");
    }
  }

  bool literal(std::string_view word, json v, json& out) {
    if (static_cast<std::size_t>(m_end - m_p) < word.size() || std::string_view(m_p, word.size()) != word)
      return fail("invalid literal");
    m_p += word.size();
    out = std::move(v);
    return true;
  }

  bool object(json& out, int depth) {
    if (depth > k_max_json_depth) return fail("nested more than " + std::to_string(k_max_json_depth) + " deep");
    ++m_p; // '{'
    out = json::object();
    skip_ws();
    if (m_p < m_end && *m_p == '}') {
      ++m_p;
      return true;
    }
    for (;;) {
      if (m_p == m_end) return fail("unexpected end of input");
      if (*m_p != '"') return fail("expected a string (an object key)");
      std::string key;
      if (!string(key)) return false;
      skip_ws();
      if (m_p == m_end) return fail("unexpected end of input");
      if (*m_p != ':') return fail("expected ':'");
      ++m_p;
      skip_ws();
      json v;
      if (!value(v, depth)) return false;
      out[key] = std::move(v); // a repeated key: the last wins, as in nlohmann
      skip_ws();
      if (m_p == m_end) return fail("unexpected end of input");
      if (*m_p == '}') {
        ++m_p;
        return true;
      }
      if (*m_p != ',') return fail("expected ',' or '}'");
      ++m_p;
      skip_ws();
    }
  }

  bool array(json& out, int depth) {
    if (depth > k_max_json_depth) return fail("nested more than " + std::to_string(k_max_json_depth) + " deep");
    ++m_p; // '['
    out = json::array();
    auto& items = out.get_ref<json::array_t&>();
    skip_ws();
    if (m_p < m_end && *m_p == ']') {
      ++m_p;
      return true;
    }
    for (;;) {
      items.emplace_back();
      if (!value(items.back(), depth)) return false;
      skip_ws();
      if (m_p == m_end) return fail("unexpected end of input");
      if (*m_p == ']') {
        ++m_p;
        return true;
      }
      if (*m_p != ',') return fail("expected ',' or ']'");
      ++m_p;
      skip_ws();
    }
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool number(json& out) {
    const char* start = m_p;
    const char* p = m_p;
    if (*p == '-') ++p;
    if (p == m_end || !digit(*p)) return fail("invalid number");
    if (*p == '0') ++p;
    else while (p < m_end && digit(*p)) ++p;
    bool integer = true;
    if (p < m_end && *p == '.') {
      integer = false;
      ++p;
      if (p == m_end || !digit(*p)) return fail("invalid number");
      while (p < m_end && digit(*p)) ++p;
    }
    if (p < m_end && (*p == 'e' || *p == 'E')) {
      integer = false;
      ++p;
      if (p < m_end && (*p == '+' || *p == '-')) ++p;
      if (p == m_end || !digit(*p)) return fail("invalid number");
      while (p < m_end && digit(*p)) ++p;
    }
    m_p = p;
    if (integer) {
      if (*start == '-') {
        std::int64_t v = 0;
        if (std::from_chars(start, p, v).ec == std::errc()) {
          out = v;
          return true;
        }
      } else {
        std::uint64_t v = 0;
        if (std::from_chars(start, p, v).ec == std::errc()) {
          out = v;
          return true;
        }
      }
    }
    double d = 0.0;
    if (std::from_chars(start, p, d).ec != std::errc()) { // out of range: underflow is 0, overflow an error, as nlohmann
      d = std::strtod(std::string(start, p).c_str(), nullptr);
      if (std::isinf(d)) {
        m_p = start;
        return fail("number out of range");
      }
    }
    out = d;
    return true;
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // After "\u": four hex digits.
  bool code_unit(unsigned& out) {
    if (m_end - m_p < 4) return fail("invalid string: \\u needs four hex digits");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(m_p[i]);
      if (h < 0) return fail("invalid string: \\u needs four hex digits");
      out = out * 16 + static_cast<unsigned>(h);
    }
    m_p += 4;
    return true;
  }

  static void append_utf8(std::string& s, unsigned cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Length of the well-formed UTF-8 sequence at m_p (Unicode table 3-7), or 0.
  std::size_t utf8_sequence() const {
    auto byte = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(m_p[i]); };
    const std::ptrdiff_t left = m_end - m_p;
    const unsigned char b0 = byte(0);
    auto in = [](unsigned char b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
    if (in(b0, 0xC2, 0xDF)) return left >= 2 && in(byte(1), 0x80, 0xBF) ? 2 : 0;
    if (in(b0, 0xE0, 0xEF)) {
      if (left < 3) return 0;
      const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
      return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (in(b0, 0xF0, 0xF4)) {
      if (left < 4) return 0;
      const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
      return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
  }

  bool string(std::string& out) {
    ++m_p; // '"'
    for (;;) {
      const char* run = m_p;
      while (m_p < m_end && *m_p != '"' && *m_p != '\\' && static_cast<unsigned char>(*m_p) >= 0x20 &&
             static_cast<unsigned char>(*m_p) < 0x80)
        ++m_p;
      out.append(run, m_p);
      if (m_p == m_end) return fail("unexpected end of input in a string");
      const unsigned char c = static_cast<unsigned char>(*m_p);
      if (c == '"') {
        ++m_p;
        return true;
      }
      if (c < 0x20) return fail("invalid string: control characters must be escaped");
      if (c >= 0x80) {
        const std::size_t n = utf8_sequence();
        if (n == 0) return fail("invalid string: ill-formed UTF-8");
        out.append(m_p, n);
        m_p += n;
        continue;
      }
      // A backslash.
      if (++m_p == m_end) return fail("unexpected end of input in a string");
      const char e = *m_p++;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = 0;
          if (!code_unit(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("invalid string: lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low = 0;
            if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u')
              return fail("invalid string: a high surrogate must be followed by a low one");
            m_p += 2;
            if (!code_unit(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail("invalid string: a high surrogate must be followed by a low one");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --m_p;
          return fail("invalid string: unknown escape");
      }
    }
  }

  const char* m_begin;
  const char* m_p;
  const char* m_end;
  std::string m_error;
  const char* m_error_at = nullptr;
};

} // namespace

std::variant<nlohmann::json, std::string> read_json(std::string_view text) {
  Reader reader(text);
  json out;
  if (!reader.document(out)) return reader.error();
  return out;
}

} // namespace kf::server
