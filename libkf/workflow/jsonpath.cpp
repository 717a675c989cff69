// JSONPath queries (jsonpath.h).
#include "libkf/workflow/jsonpath.h"

#include <vector>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::workflow {

namespace {

// One step of a JSONPath over the current matches.
void jsonpath_step(std::vector<Json>& current, const std::string& key, bool wildcard, long long index, bool by_index) {
  std::vector<Json> next;
  for (const auto& v : current) {
    if (wildcard) {
      if (v.is_array() || v.is_object())
        for (const auto& x : v) next.push_back(x);
    } else if (by_index && v.is_array()) {
      const long long i = index < 0 ? index + static_cast<long long>(v.size()) : index;
      if (i >= 0 && i < static_cast<long long>(v.size())) next.push_back(v[static_cast<std::size_t>(i)]);
    } else if (!by_index && v.is_object() && v.contains(key)) {
      next.push_back(v[key]);
    }
  }
  current = std::move(next);
}

} // namespace

Json jsonpath(const Json& document, std::string_view path) {
  std::size_t i = 0;
  if (i < path.size() && path[i] == '$') ++i;
  std::vector<Json> current{document};
  bool many = false;
  const auto bad = [&] { return Error("jsonpath " + str::quote(std::string(path)) + ": cannot read it at " + std::to_string(i + 1)); };
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      const std::size_t start = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      const std::string key(path.substr(start, i - start));
      if (key.empty()) throw bad();
      many = many || key == "*";
      jsonpath_step(current, key, key == "*", 0, false);
    } else if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) throw bad();
      std::string inside = str::trim(std::string(path.substr(i + 1, close - i - 1)));
      i = close + 1;
      if (inside == "*") {
        many = true;
        jsonpath_step(current, "", true, 0, false);
      } else if (inside.size() >= 2 && (inside[0] == '\'' || inside[0] == '"')) {
        jsonpath_step(current, inside.substr(1, inside.size() - 2), false, 0, false);
      } else {
        try {
          jsonpath_step(current, "", false, std::stoll(inside), true);
        } catch (const std::exception&) {
          throw bad();
        }
      }
    } else {
      throw bad();
    }
  }
  if (many) return Json(current);
  if (current.empty()) throw Error("jsonpath " + str::quote(std::string(path)) + ": no match");
  return current.front();
}

} // namespace kf::workflow
