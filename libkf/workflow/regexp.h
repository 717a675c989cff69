#pragma once
// The `matches` and =~ operators' regular expressions: RE2's syntax (Go's
// regexp) as Argo's expressions use it, in linear time.

#include <string>

namespace kf::workflow {

// Whether `pattern` matches somewhere in `subject`. kf::Error for a pattern
// RE2 refuses (nested repetition, a count over 1000, a missing brace) or one
// longer than 1024 characters.
bool regex_search(const std::string& subject, const std::string& pattern);

} // namespace kf::workflow
