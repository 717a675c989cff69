#include "libkf/util/yaml.h"

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

namespace kf::yaml {

std::string Loc::str() const {
  std::string f = file ? *file : std::string("<input>");
  if (line <= 0) return f;
  return f + ":" + std::to_string(line) + ":" + std::to_string(col);
}

const Node* Node::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k.scalar == key) return &v;
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (auto& [k, v] : entries)
    if (k.scalar == key) return &v;
  return nullptr;
}

const Node* node_at(const yaml::Node& root, const std::string& path) {
  const Node* cur = &root;
  std::string key;
  auto step_key = [&]() {
    if (key.empty()) return true;
    const Node* next = cur->is_map() ? cur->find(key) : nullptr;
    key.clear();
    if (!next) return false;
    cur = next;
    return true;
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '.') {
      if (!step_key()) return cur;
    } else if (c == '[') {
      if (!step_key()) return cur;
      const auto close = path.find(']', i);
      if (close == std::string::npos) return cur;
      const std::string idx = path.substr(i + 1, close - i - 1);
      if (!cur->is_seq() || idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos) return cur;
      const auto n = std::stoul(idx);
      if (n >= cur->items.size()) return cur;
      cur = &cur->items[n];
      i = close;
    } else {
      key += c;
    }
  }
  step_key();
  return cur;
}

std::string Node::kind_name() const {
  switch (kind) {
  case Kind::Null: return "null";
  case Kind::Map: return "a mapping";
  case Kind::Sequence: return "a list";
  case Kind::Scalar: {
    if (quoted) return "a string";
    const Json v = resolve_scalar(scalar);
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_null()) return "null";
    return "a string";
  }
  }
  return "a value";
}

void merge(Node& base, const Node& overlay) {
  if (!base.is_map() || !overlay.is_map()) {
    base = overlay;
    return;
  }
  for (const auto& entry : overlay.entries) {
    const std::string& name = entry.key.scalar;
    Node* existing = base.find(name);
    if (entry.value.is_null()) {
      std::erase_if(base.entries, [&name](const Node::Entry& e) { return e.key.scalar == name; });
    } else if (existing) {
      merge(*existing, entry.value);
    } else {
      base.entries.push_back(entry);
    }
  }
}

Json to_json(const Node& node) {
  switch (node.kind) {
  case Node::Kind::Null: return nullptr;
  case Node::Kind::Scalar: return node.quoted ? Json(node.scalar) : resolve_scalar(node.scalar);
  case Node::Kind::Sequence: {
    Json arr = Json::array();
    arr.get_ref<Json::array_t&>().reserve(node.items.size());
    for (const auto& item : node.items) arr.push_back(to_json(item));
    return arr;
  }
  case Node::Kind::Map: {
    // Reserved, because growing an ordered_json object deep-copies its members (libkf/util/json.h).
    Json obj = Json::object();
    obj.get_ref<Json::object_t&>().reserve(node.entries.size());
    for (const auto& [k, v] : node.entries) obj[k.scalar] = to_json(v);
    return obj;
  }
  }
  return nullptr;
}

} // namespace kf::yaml
