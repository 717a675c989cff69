#pragma once
// The one redaction function every debug line of libkf/kube goes through
// (RestOptions::debug): credentials never reach a terminal or a log, also
// not with -v. It removes
//   - every value in `secrets` (the transport's token, password, key data),
//   - Authorization, Proxy-Authorization, Cookie and Set-Cookie header values,
//   - "Bearer <token>" wherever it appears,
//   - token=, access_token=, id_token=, refresh_token=, password= query
//     parameters,
//   - the password of a URL's user info (https://user:PASSWORD@host),
//   - the values of keys ending in token, password, secret, client-key-data
//     or clientKeyData in JSON or YAML (token: x, "password": "x"),
//   - PEM private keys.
// What it removes becomes "<redacted>".

#include <string>
#include <string_view>
#include <vector>

namespace kf::kube {

inline constexpr std::string_view k_redacted = "<redacted>";

std::string redact(std::string_view text, const std::vector<std::string>& secrets = {});

} // namespace kf::kube
