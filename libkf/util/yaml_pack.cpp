#include "libkf/util/yaml_pack.h"

#include <cstdint>
#include <memory>

#include "libkf/util/error.h"

namespace kf::yaml {

namespace {

constexpr unsigned char k_quoted = 0x10;
constexpr int k_max_depth = 10000; // deeper than yaml-cpp parses (2000): only a damaged pack gets here

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put(std::string& out, const Node& n) {
  out.push_back(static_cast<char>(static_cast<unsigned char>(n.kind) | (n.quoted ? k_quoted : 0)));
  put_varint(out, static_cast<std::uint64_t>(n.loc.line < 0 ? 0 : n.loc.line));
  put_varint(out, static_cast<std::uint64_t>(n.loc.col < 0 ? 0 : n.loc.col));
  switch (n.kind) {
  case Node::Kind::Null:
    break;
  case Node::Kind::Scalar:
    put_varint(out, n.scalar.size());
    out += n.scalar;
    break;
  case Node::Kind::Sequence:
    put_varint(out, n.items.size());
    for (const auto& item : n.items) put(out, item);
    break;
  case Node::Kind::Map:
    put_varint(out, n.entries.size());
    for (const auto& e : n.entries) {
      put(out, e.key);
      put(out, e.value);
    }
    break;
  }
}

class Reader {
public:
  Reader(std::string_view in, const std::string& file) : m_in(in), m_file(std::make_shared<const std::string>(file)) {}

  Node node(int depth) {
    if (depth > k_max_depth) fail("nested too deeply");
    const unsigned char tag = byte();
    Node n;
    n.quoted = (tag & k_quoted) != 0;
    const unsigned kind = tag & 0x0f;
    if (kind > 3 || (n.quoted && kind != 1)) fail("bad node tag");
    n.kind = static_cast<Node::Kind>(kind);
    n.loc = {m_file, small(varint()), small(varint())};
    if (n.kind == Node::Kind::Scalar) {
      const std::size_t len = count();
      n.scalar = std::string(m_in.substr(m_at, len));
      m_at += len;
    } else if (n.kind == Node::Kind::Sequence) {
      n.items.resize(count());
      for (auto& item : n.items) item = node(depth + 1);
    } else if (n.kind == Node::Kind::Map) {
      n.entries.resize(count());
      for (auto& e : n.entries) {
        e.key = node(depth + 1);
        e.value = node(depth + 1);
      }
    }
    return n;
  }

  bool done() const { return m_at == m_in.size(); }

private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("packed YAML of " + *m_file + " is damaged at byte " + std::to_string(m_at) + ": " + what);
  }
  unsigned char byte() {
    if (m_at >= m_in.size()) fail("it ends early");
    return static_cast<unsigned char>(m_in[m_at++]);
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const unsigned char b = byte();
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    fail("a number is too long");
  }
  int small(std::uint64_t v) const {
    if (v > 1u << 30) fail("a line or column is out of range");
    return static_cast<int>(v);
  }
  // A length or count: never more than the bytes left (each element takes one at least).
  std::size_t count() {
    const std::uint64_t n = varint();
    if (n > m_in.size() - m_at) fail("a length runs past its end");
    return static_cast<std::size_t>(n);
  }

  std::string_view m_in;
  std::size_t m_at = 0;
  std::shared_ptr<const std::string> m_file;
};

} // namespace

std::string pack(const Node& node) {
  std::string out;
  put(out, node);
  return out;
}

Node unpack(std::string_view packed, const std::string& file) {
  Reader r(packed, file);
  Node n = r.node(0);
  if (!r.done()) throw Error("packed YAML of " + file + " has bytes after its end");
  return n;
}

} // namespace kf::yaml
