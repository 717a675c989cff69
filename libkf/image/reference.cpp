#include "libkf/image/reference.h"

#include <cctype>

#include "libkf/image/digest.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::image {

std::string Reference::api_host() const { return registry == "docker.io" ? "registry-1.docker.io" : registry; }

std::string Reference::str() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

namespace {

bool repo_component_ok(const std::string& c) {
  // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
  if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) || !std::isalnum(static_cast<unsigned char>(c.back())))
    return false;
  for (char ch : c)
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' ||
          ch == '_' || ch == '-'))
      return false;
  return c.find("..") == std::string::npos && c.find("___") == std::string::npos;
}

bool tag_ok(const std::string& t) {
  if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') return false;
  for (char ch : t)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-')) return false;
  return true;
}

} // namespace

Reference parse_reference(const std::string& text, const std::string& default_tag) {
  auto bad = [&](const std::string& why) -> void { throw UsageError("invalid image reference " + str::quote(text) + ": " + why); };
  Reference r;
  std::string rest = text;
  if (const auto at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!is_digest(r.digest)) bad("the digest must be sha256: and 64 lower-case hex digits");
  }
  const auto slash = rest.find('/');
  const std::string first = slash == std::string::npos ? "" : rest.substr(0, slash);
  if (!first.empty() && (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost")) {
    r.registry = first;
    rest = rest.substr(slash + 1);
  } else {
    r.registry = "docker.io";
  }
  if (const auto colon = rest.rfind(':'); colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
    r.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!tag_ok(r.tag)) bad("the tag " + str::quote(r.tag) + " is not [A-Za-z0-9_.-] (up to 128, not starting with '.' or '-')");
  }
  if (rest.empty()) bad("no repository name");
  for (const auto& c : str::split(rest, '/'))
    if (!repo_component_ok(c)) bad("the repository " + str::quote(rest) + " must be lower-case letters, digits and separators");
  if (r.registry == "docker.io" && rest.find('/') == std::string::npos) rest = "library/" + rest;
  r.repository = rest;
  if (r.tag.empty() && r.digest.empty()) r.tag = default_tag;
  return r;
}

} // namespace kf::image
