// --set PATH=VALUE, helm's syntax, applied to a located YAML tree.
#include <memory>

#include "libkf/spec/load.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::spec {
namespace {

struct Segment {
  std::string key;       // map key (empty for a bare index)
  std::optional<std::size_t> index; // key[index]
};

constexpr std::size_t k_max_index = 65536; // helm's strvals MaxIndex

std::vector<Segment> parse_path(const std::string& path, const std::string& assignment) {
  std::vector<Segment> out;
  std::string cur;
  auto flush = [&](bool allow_empty) {
    if (cur.empty() && !allow_empty) throw UsageError("--set " + assignment + ": empty key in " + str::quote(path));
    out.push_back(Segment{cur, std::nullopt});
    cur.clear();
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '\\' && i + 1 < path.size()) {
      cur += path[++i];
    } else if (c == '.') {
      if (!out.empty() && out.back().index && cur.empty()) continue; // "a[0].b"
      flush(false);
    } else if (c == '[') {
      const auto close = path.find(']', i);
      const std::string idx = close == std::string::npos ? "" : path.substr(i + 1, close - i - 1);
      if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos)
        throw UsageError("--set " + assignment + ": invalid list index in " + str::quote(path));
      // A list is padded with nulls up to its index: helm's bound keeps that small.
      const auto first = idx.find_first_not_of('0');
      if (first != std::string::npos && (idx.size() - first > 5 || std::stoul(idx.substr(first)) > k_max_index))
        throw UsageError("--set " + assignment + ": list index " + idx + " in " + str::quote(path) +
                         " is greater than the maximum supported index " + std::to_string(k_max_index));
      if (!cur.empty() || out.empty() || !out.back().index) flush(false);
      else out.push_back(Segment{"", std::nullopt});
      out.back().index = std::stoul(idx);
      i = close;
    } else {
      cur += c;
    }
  }
  if (!cur.empty() || out.empty() || !out.back().index) flush(false);
  return out;
}

yaml::Node scalar_node(const std::string& text, const yaml::Loc& loc) {
  yaml::Node n;
  n.loc = loc;
  n.kind = yaml::resolve_scalar(text).is_null() ? yaml::Node::Kind::Null : yaml::Node::Kind::Scalar;
  n.scalar = text;
  return n;
}

yaml::Node value_node(const std::string& value, const yaml::Loc& loc) {
  if (value.size() >= 2 && value.front() == '{' && value.back() == '}') {
    yaml::Node seq;
    seq.kind = yaml::Node::Kind::Sequence;
    seq.loc = loc;
    const std::string inner = value.substr(1, value.size() - 2);
    if (!inner.empty())
      for (const auto& item : str::split(inner, ',')) seq.items.push_back(scalar_node(str::trim(item), loc));
    return seq;
  }
  return scalar_node(value, loc);
}

yaml::Node empty_map(const yaml::Loc& loc) {
  yaml::Node n;
  n.kind = yaml::Node::Kind::Map;
  n.loc = loc;
  return n;
}

} // namespace

void apply_set(yaml::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--set " + assignment + ": expected PATH=VALUE (for example training.workers=4)");
  std::string path = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  const yaml::Loc loc{std::make_shared<const std::string>("--set " + assignment), 0, 0};

  auto segments = parse_path(path, assignment);
  static const std::vector<std::string> k_top = {"apiVersion", "kind", "metadata", "spec"};
  if (std::find(k_top.begin(), k_top.end(), segments.front().key) == k_top.end())
    segments.insert(segments.begin(), Segment{"spec", std::nullopt});

  if (!root.is_map()) root = empty_map(loc);
  yaml::Node* cur = &root;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& seg = segments[i];
    const bool last = i + 1 == segments.size();
    if (!seg.key.empty()) {
      if (!cur->is_map()) *cur = empty_map(loc);
      yaml::Node* next = cur->find(seg.key);
      if (!next) {
        yaml::Node key = scalar_node(seg.key, loc);
        key.kind = yaml::Node::Kind::Scalar;
        cur->entries.push_back(yaml::Node::Entry{std::move(key), yaml::Node{}});
        next = &cur->entries.back().value;
        next->loc = loc;
      }
      cur = next;
    }
    if (seg.index) {
      if (!cur->is_seq()) {
        *cur = yaml::Node{};
        cur->kind = yaml::Node::Kind::Sequence;
        cur->loc = loc;
      }
      while (cur->items.size() <= *seg.index) {
        yaml::Node pad;
        pad.loc = loc;
        cur->items.push_back(pad); // helm pads a list with nulls
      }
      cur = &cur->items[*seg.index];
    }
    if (last) {
      *cur = value_node(value, loc);
    } else if (!segments[i + 1].key.empty() && !cur->is_map()) {
      *cur = empty_map(loc);
    }
  }
}

} // namespace kf::spec
