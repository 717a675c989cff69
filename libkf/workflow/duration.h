#pragma once
// Durations as Argo writes them: a number of seconds ("10") or Go's
// time.ParseDuration form ("1m30s", "500ms", "2h").

#include <string>

namespace kf::workflow {

// Seconds; kf::Error for anything else.
double parse_duration(const std::string& text);

// "1.5s", "2m0s", as Go prints a time.Duration (whole seconds above a minute).
std::string format_duration(double seconds);

} // namespace kf::workflow
