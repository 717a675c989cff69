// Parsing YAML text into kf's located tree (util/yaml.h) from yaml-cpp's
// parser events. kf builds its tree from events rather than through
// YAML::LoadAll because LoadAll in Debian's yaml-cpp 0.7 loops forever on a
// stray ','; here a parser that stops advancing is an error. Aliases are expanded under a node budget ("billion laughs").
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"

namespace kf::yaml {
namespace {

constexpr std::size_t k_max_nodes = 1'000'000;

// Length of the well-formed UTF-8 sequence at text[i], or 0: a stray
// continuation byte, a truncated sequence, an overlong form, a UTF-16
// surrogate or a code point past U+10FFFF (RFC 3629, section 4).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return 1;
  const std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > text.size()) return 0;
  char32_t cp = c & (0xFF >> (len + 1));
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b >> 6) != 0x2) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  constexpr char32_t k_least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < k_least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// YAML is UTF-8 for kf (as for kubectl); the first bad byte is an error.
void check_utf8(std::string_view text, const std::shared_ptr<const std::string>& file) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = utf8_sequence(text, i);
    if (len == 0) throw SpecError(Loc{file, line, col}.str() + ": invalid UTF-8 (kf reads YAML as UTF-8)");
    // YAML allows no control characters but tab and line breaks; NULs would
    // also make yaml-cpp guess a UTF-16/32 encoding.
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "U+%04X", c);
      throw SpecError(Loc{file, line, col}.str() + ": control character " + hex + " is not allowed in YAML");
    }
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += len;
  }
}

// The input was valid UTF-8, so a bad sequence in a scalar came from an
// escape: yaml-cpp 0.7 decodes "\N" and "\_" to the lone bytes 0x85 and
// 0xA0 rather than U+0085 and U+00A0 (it refuses the other bad escapes,
// "\uD800" and "\U00110000", itself).
std::string scalar_utf8(const std::string& value) {
  std::size_t good = 0;
  for (std::size_t len = 0; good < value.size() && (len = utf8_sequence(value, good)) != 0;) good += len;
  if (good == value.size()) return value;
  std::string out = value.substr(0, good);
  for (std::size_t i = good; i < value.size();) {
    const std::size_t len = utf8_sequence(value, i);
    if (len == 0) out += '\xC2';
    out.append(value, i, std::max<std::size_t>(len, 1));
    i += std::max<std::size_t>(len, 1);
  }
  return out;
}

std::size_t count_nodes(const Node& n) {
  std::size_t total = 1;
  for (const auto& item : n.items) total += count_nodes(item);
  for (const auto& e : n.entries) total += count_nodes(e.key) + count_nodes(e.value);
  return total;
}

class TreeBuilder final : public YAML::EventHandler {
public:
  explicit TreeBuilder(std::shared_ptr<const std::string> file) : m_file(std::move(file)) {}

  bool has_root() const { return m_has_root; }
  Node take_root() {
    m_has_root = false;
    return std::move(m_root);
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node n;
    n.loc = loc(mark);
    add(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = m_anchors.find(anchor);
    if (it == m_anchors.end()) throw SpecError(loc(mark).str() + ": invalid YAML: unknown alias");
    spend(count_nodes(it->second));
    Node copy = it->second;
    add(std::move(copy), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node n;
    n.loc = loc(mark);
    n.kind = Node::Kind::Scalar;
    n.scalar = scalar_utf8(value);
    n.quoted = tag == "!"; // yaml-cpp tags non-plain (quoted, block) scalars "!"
    if (!n.quoted && resolve_scalar(value).is_null()) n.kind = Node::Kind::Null; // ~, null: text kept for keys
    add(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::Kind::Sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::Kind::Map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

private:
  struct Frame {
    Node node;
    YAML::anchor_t anchor = 0;
    std::optional<Node> key; // a map's pending key
  };

  Loc loc(const YAML::Mark& m) const { return Loc{m_file, m.line + 1, m.column + 1}; }

  void spend(std::size_t n) {
    if (n > m_budget) {
      throw SpecError(*m_file + ": the document is too large (over " + std::to_string(k_max_nodes) +
                      " values once aliases are expanded)");
    }
    m_budget -= n;
  }

  void open(Node::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    spend(1);
    Frame f;
    f.node.kind = kind;
    f.node.loc = loc(mark);
    f.anchor = anchor;
    m_stack.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(m_stack.back());
    m_stack.pop_back();
    add(std::move(f.node), f.anchor, /*counted=*/true);
  }

  void add(Node n, YAML::anchor_t anchor, bool counted = false) {
    if (!counted && n.kind != Node::Kind::Sequence && n.kind != Node::Kind::Map) spend(1);
    if (anchor != 0) m_anchors[anchor] = n;
    if (m_stack.empty()) {
      m_root = std::move(n);
      m_has_root = true;
      return;
    }
    Frame& top = m_stack.back();
    if (top.node.kind == Node::Kind::Sequence) {
      top.node.items.push_back(std::move(n));
      return;
    }
    if (!top.key) {
      if (n.kind != Node::Kind::Scalar && n.kind != Node::Kind::Null)
        throw SpecError(n.loc.str() + ": mapping keys must be strings");
      n.kind = Node::Kind::Scalar; // "null:" as a key is the text "null"
      for (const auto& e : top.node.entries)
        if (e.key.scalar == n.scalar)
          throw SpecError(n.loc.str() + ": duplicate key " + str::quote(n.scalar) + " (first at line " +
                          std::to_string(e.key.loc.line) + ")");
      top.key = std::move(n);
      return;
    }
    top.node.entries.push_back(Node::Entry{std::move(*top.key), std::move(n)});
    top.key.reset();
  }

  std::shared_ptr<const std::string> m_file;
  std::vector<Frame> m_stack;
  std::map<YAML::anchor_t, Node> m_anchors;
  std::size_t m_budget = k_max_nodes;
  Node m_root;
  bool m_has_root = false;
};

} // namespace

std::vector<Node> parse_all(std::string_view text, const std::string& file) {
  auto shared = std::make_shared<const std::string>(file);
  check_utf8(text, shared);
  std::istringstream in{std::string(text)};
  std::vector<Node> out;
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(shared);
    std::optional<Loc> last_null;
    while (parser.HandleNextDocument(builder)) {
      if (!builder.has_root()) continue;
      Node doc = builder.take_root();
      if (doc.is_null()) {
        // yaml-cpp 0.7 can report the same empty document forever on bad input.
        if (last_null && last_null->line == doc.loc.line && last_null->col == doc.loc.col)
          throw SpecError(doc.loc.str() + ": invalid YAML: unexpected character");
        last_null = doc.loc;
        continue;
      }
      last_null.reset();
      out.push_back(std::move(doc));
    }
  } catch (const YAML::Exception& e) {
    throw SpecError(Loc{shared, e.mark.line + 1, e.mark.column + 1}.str() + ": invalid YAML: " + e.msg);
  }
  return out;
}

Node parse(std::string_view text, const std::string& file) {
  auto docs = parse_all(text, file);
  if (docs.size() > 1) throw SpecError(docs[1].loc.str() + ": expected one YAML document, found several");
  if (docs.empty()) {
    Node n;
    n.loc = Loc{std::make_shared<const std::string>(file), 1, 1};
    return n;
  }
  return std::move(docs[0]);
}

Node parse_file(const std::string& path) { return parse(fs::read_file(path), path); }

} // namespace kf::yaml
