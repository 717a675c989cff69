#pragma once
// Wall-clock times as kf records them: milliseconds since the epoch (the
// metadata store, run ordering) and RFC 3339 in UTC with seconds precision,
// as Kubernetes writes times ("2026-11-30T14:02:08Z").

#include <cstdint>
#include <optional>
#include <string>

namespace kf {

std::int64_t now_ms();
// 0 -> "1970-01-01T00:00:00Z".
std::string rfc3339(std::int64_t epoch_seconds);
std::string now_rfc3339();
// "2026-11-30T14:02:08Z" (fractions and the zone suffix are ignored: UTC is
// assumed, as Kubernetes writes) -> seconds since the epoch; nullopt when
// it is not such a time.
std::optional<std::int64_t> parse_rfc3339(const std::string& text);

} // namespace kf
