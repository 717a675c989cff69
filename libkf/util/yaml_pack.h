#pragma once
// A parsed YAML tree in a compact binary form, so kf's built-in templates
// are parsed once, when kf is built (tools/templatepack.cpp), and not on
// every `kf render` (yaml-cpp's scanner was half of its instructions).
//
// Each node, depth first:
//   byte   kind (0 null, 1 scalar, 2 list, 3 map), | 0x10 when the scalar was quoted
//   varint line, varint col
//   scalar: varint length, then the bytes; list: varint count, then the
//   items; map: varint count, then key and value of each entry.
// Every node's file is the one given to unpack().

#include <string>
#include <string_view>

#include "libkf/util/yaml.h"

namespace kf::yaml {

std::string pack(const Node& node);
// Rebuilds the tree pack() wrote; a truncated or damaged pack throws kf::Error.
Node unpack(std::string_view packed, const std::string& file);

} // namespace kf::yaml
