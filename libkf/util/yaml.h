#pragma once
// A YAML tree whose every node remembers where it came from (file:line:col).
//
// yaml-cpp's marks carry no file name, and kf merges trees from several files
// (kf.yaml, -f values.yaml, --set), so kf converts each document once into
// this tree. Decoders read it to produce typed structs and precise errors;
// nothing past the decoders sees a YAML node. Values are plain data; copying
// is cheap enough for spec-sized documents.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libkf/util/json.h"

namespace kf::yaml {

struct Loc {
  std::shared_ptr<const std::string> file; // shared by every node of a document
  int line = 0;                            // 1-based; 0 = unknown
  int col = 0;                             // 1-based
  std::string str() const;                 // "file:line:col" (or "file" when unknown)
};

struct Node {
  enum class Kind { Null, Scalar, Sequence, Map };
  Kind kind = Kind::Null;
  std::string scalar;  // Scalar only: the text as written
  bool quoted = false; // Scalar only: single/double quoted or block (never a number/bool)
  Loc loc;
  std::vector<Node> items;                       // Sequence
  struct Entry;                                  // {key, value}, defined below
  std::vector<Entry> entries;                    // Map: key and value nodes, in file order

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_seq() const { return kind == Kind::Sequence; }
  bool is_map() const { return kind == Kind::Map; }
  const Node* find(std::string_view key) const; // Map only; nullptr when absent
  Node* find(std::string_view key);
  std::string kind_name() const; // "a mapping", "a list", "a string", "null"
};

struct Node::Entry {
  Node key;
  Node value;
};

// Parses one YAML document (an empty text is a Null node). A syntax error
// throws SpecError "file:line:col: message".
Node parse(std::string_view text, const std::string& file);
// Parses every document of a multi-document stream ("---"); empty ones are skipped.
std::vector<Node> parse_all(std::string_view text, const std::string& file);
Node parse_file(const std::string& path);

// The node at a field path as kubectl spells it ("spec.a[0].b"), for
// file:line:col: the deepest node of the path that exists (`root` at worst).
const Node* node_at(const Node& root, const std::string& path);

// Helm's values semantics: maps merge key by key (recursively), anything
// else in `overlay` replaces what `base` had. Null in overlay deletes the key.
void merge(Node& base, const Node& overlay);

// The YAML 1.2 core schema for a plain (unquoted) scalar:
// null/~/"" -> null, true/false -> bool, ints (incl. 0x, 0o), floats (.inf, .nan) -> number, else string.
Json resolve_scalar(std::string_view text);
Json to_json(const Node& node);

// Emits JSON data as block-style YAML the way kubectl prints objects: strings
// that a YAML 1.1 or 1.2 reader would take for something else are quoted.
std::string emit(const Json& doc);
// Several documents separated by "---".
std::string emit_all(const std::vector<Json>& docs);

} // namespace kf::yaml
