// Go's regexp (RE2) as Argo's expressions have it (regexp.h), through POSIX
// extended regular expressions (glibc: no backtracking blow-up, unlike
// std::regex on "a**"), with RE2's \d \w \s classes spelled the POSIX way.
#include "libkf/workflow/regexp.h"

#include <regex.h>

#include <cstdlib>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::workflow {

bool regex_search(const std::string& subject, const std::string& pattern) {
  if (pattern.size() > 1024) throw Error("a regular expression of at most 1024 characters");
  std::string ere;
  bool quantified = false; // the last thing was a repetition: another one is RE2's "invalid nested repetition operator"
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char q = pattern[i];
    if (q == '*' || q == '+' || q == '?' || q == '{') {
      if (quantified && q == '?') continue; // non-greedy: the same matches or none
      if (quantified) throw Error("invalid nested repetition operator in " + str::quote(pattern));
      quantified = true;
      if (q == '{') {
        const auto close = pattern.find('}', i);
        if (close == std::string::npos) throw Error("missing } in " + str::quote(pattern));
        for (const auto& n : str::split(pattern.substr(i + 1, close - i - 1), ','))
          if (n.size() > 4 || (!n.empty() && std::atoi(n.c_str()) > 1000)) throw Error("a repetition count over 1000 in " + str::quote(pattern));
        ere += pattern.substr(i, close - i + 1);
        i = close;
        continue;
      }
      ere += q;
      continue;
    }
    quantified = false;
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char c = pattern[i + 1];
      const char* cls = c == 'd' ? "[0-9]" : c == 'D' ? "[^0-9]" : c == 'w' ? "[[:alnum:]_]" : c == 'W' ? "[^[:alnum:]_]"
                      : c == 's' ? "[[:space:]]" : c == 'S' ? "[^[:space:]]" : nullptr;
      if (cls) {
        ere += cls;
        ++i;
        continue;
      }
    }
    ere += pattern[i];
  }
  regex_t re;
  if (const int rc = ::regcomp(&re, ere.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
    char buf[256];
    ::regerror(rc, &re, buf, sizeof buf);
    throw Error("invalid regular expression " + str::quote(pattern) + ": " + buf);
  }
  const bool m = ::regexec(&re, subject.c_str(), 0, nullptr, 0) == 0;
  ::regfree(&re);
  return m;
}

} // namespace kf::workflow
