#pragma once
// Small string helpers with nothing kf-specific in them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kf::str {

// Levenshtein distance (insert, delete, substitute; a swap of two adjacent
// letters counts as one edit, as in ninja's SpellcheckString).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate to `word` if it is close enough to be a likely typo
// (at most 2 edits, and fewer edits than half the word's length), else nullopt.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" — ready to append to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view s, std::string_view prefix);
std::string trim(std::string_view s);
// ASCII lower case ("PyTorchJob" -> "pytorchjob").
std::string lower(std::string_view s);

// Kubernetes DNS-1123 label: lower-case alphanumerics and '-', 1..63 chars,
// starting and ending with an alphanumeric.
bool is_dns1123_label(std::string_view s);
// An object name as the API server takes most kinds': at most 253 of
// [a-z0-9.-], starting and ending with [a-z0-9].
bool is_dns1123_subdomain(std::string_view s);
// A label's or annotation's key as the API server takes it: a name of at most
// 63 of [A-Za-z0-9-_.], starting and ending with [A-Za-z0-9], optionally after
// a DNS-1123 subdomain prefix and '/'.
bool is_qualified_name(std::string_view s);
// A label's value: empty, or a name as in is_qualified_name without prefix.
bool is_label_value(std::string_view s);

// Quote a string for a message the way kubectl does: "value".
std::string quote(std::string_view s);

} // namespace kf::str
