#pragma once
// kf's in-memory form of a Kubernetes object or any JSON document:
// nlohmann::ordered_json keeps keys in the order templates wrote them, so
// rendered manifests read apiVersion, kind, metadata, spec — like kubectl's.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kf {
using Json = nlohmann::ordered_json;

namespace json {

// Json::parse(text), several times faster on large documents (a CRD, a list
// of a thousand objects): nlohmann's parser grows each object's vector of
// (const key, value) pairs one member at a time, and since such a pair cannot
// be moved, every growth deep-copies the members parsed so far. This parser
// collects an object's members first and moves them into a vector of the
// right size. The result is the same value, keys in the same order (a
// repeated key keeps its first place and its last value, as with Json::parse);
// on malformed input it throws exactly what Json::parse throws.
Json parse(std::string_view text);

// Json::parse(text, nullptr, false): a value_t::discarded Json on malformed
// input instead of an exception.
Json parse_or_discarded(std::string_view text);

// A scalar as a command-line argument's value: a string as it is, a float at
// 15 significant digits ("0.001", "2"), anything else as JSON ("true", "3").
std::string arg_text(const Json& v);

} // namespace json
} // namespace kf
