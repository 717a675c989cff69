#include "libkf/kube/redact.h"

#include <functional>
#include <regex>

namespace kf::kube {

namespace {

using Rewrite = std::function<std::string(const std::smatch&)>;

std::string replace_each(const std::string& text, const std::regex& re, const Rewrite& rewrite) {
  std::string out;
  auto from = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    out.append(from, (*it)[0].first);
    out += rewrite(*it);
    from = (*it)[0].second;
  }
  out.append(from, text.cend());
  return out;
}

struct Rule {
  std::regex re;
  Rewrite rewrite;
};

const std::vector<Rule>& rules() {
  constexpr auto flags = std::regex::ECMAScript | std::regex::icase;
  const std::string r(k_redacted);
  static const std::vector<Rule> all = {
      {std::regex(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$))", flags),
       [r](const std::smatch&) { return r; }},
      {std::regex(R"(\b(authorization|proxy-authorization|cookie|set-cookie)("?\s*:\s*)[^\r\n]*)", flags),
       [r](const std::smatch& m) { return m.str(1) + m.str(2) + r; }},
      {std::regex(R"(\bbearer\s+[^\s"',;&]+)", flags), [r](const std::smatch&) { return "Bearer " + r; }},
      {std::regex(R"(\b(access_token|id_token|refresh_token|token|password|passwd)=[^&\s"'#]*)", flags),
       [r](const std::smatch& m) { return m.str(1) + "=" + r; }},
      {std::regex(R"((\b[a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@)", flags),
       [r](const std::smatch& m) { return m.str(1) + ":" + r + "@"; }},
      {std::regex(R"((["']?\b[a-z_-]*(token|password|passwd|secret|client-key-data|clientkeydata)["']?\s*:\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,}\]]+))",
                  flags),
       [r](const std::smatch& m) {
         const char q = m.str(3).front();
         return m.str(1) + (q == '"' || q == '\'' ? q + r + q : r);
       }},
  };
  return all;
}

} // namespace

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + k_redacted.size()))
      out.replace(at, secret.size(), k_redacted);
  }
  for (const auto& rule : rules()) out = replace_each(out, rule.re, rule.rewrite);
  return out;
}

} // namespace kf::kube
