#include "libkf/kube/redact.h"

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include <re2/re2.h>

namespace kf::kube {

namespace {

// A match's groups: [0] the whole match, then each group ("" when unmatched).
using Groups = std::vector<std::string_view>;
using Rewrite = std::function<std::string(const Groups&)>;

// Every match, left to right, rewritten. RE2 (linear time, no recursion):
// std::regex's matcher overflowed the stack on a 100 KB token or key.
std::string replace_each(const std::string& text, const re2::RE2& re, const Rewrite& rewrite) {
  const int n = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> m(static_cast<std::size_t>(n));
  std::string out;
  std::size_t from = 0, at = 0;
  while (at <= text.size() && re.Match(text, at, text.size(), re2::RE2::UNANCHORED, m.data(), n)) {
    const auto start = static_cast<std::size_t>(m[0].data() - text.data()), end = start + m[0].size();
    Groups groups;
    for (const auto& g : m) groups.emplace_back(g.data() ? std::string_view(g.data(), g.size()) : std::string_view());
    out.append(text, from, start - from);
    out += rewrite(groups);
    from = end;
    at = end > start ? end : end + 1;
  }
  out.append(text, from, std::string::npos);
  return out;
}

struct Rule {
  std::unique_ptr<re2::RE2> re;
  Rewrite rewrite;
};

Rule rule(const char* pattern, Rewrite rewrite) {
  re2::RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  return {std::make_unique<re2::RE2>(pattern, o), std::move(rewrite)};
}

std::string str(std::string_view v) { return std::string(v); }

const std::vector<Rule>& rules() {
  const std::string r(k_redacted);
  static const std::vector<Rule> all = [&r] {
    std::vector<Rule> v;
    v.push_back(rule(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$))",
                     [r](const Groups&) { return r; }));
    v.push_back(rule(R"(\b(authorization|proxy-authorization|cookie|set-cookie)("?\s*:\s*)[^\r\n]*)",
                     [r](const Groups& m) { return str(m[1]) + str(m[2]) + r; }));
    v.push_back(rule(R"(\bbearer\s+[^\s"',;&]+)", [r](const Groups&) { return "Bearer " + r; }));
    v.push_back(rule(R"(\b(access_token|id_token|refresh_token|token|password|passwd)=[^&\s"'#]*)",
                     [r](const Groups& m) { return str(m[1]) + "=" + r; }));
    v.push_back(rule(R"((\b[a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@)", [r](const Groups& m) { return str(m[1]) + ":" + r + "@"; }));
    v.push_back(rule(R"((["']?\b[a-z_-]*(token|password|passwd|secret|client-key-data|clientkeydata)["']?\s*:\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,}\]]+))",
                     [r](const Groups& m) {
                       const char q = m[3].empty() ? ' ' : m[3].front();
                       return str(m[1]) + (q == '"' || q == '\'' ? q + r + q : r);
                     }));
    return v;
  }();
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
  for (const auto& rule : rules()) out = replace_each(out, *rule.re, rule.rewrite);
  return out;
}

} // namespace kf::kube
