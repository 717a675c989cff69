#pragma once
// jsonpath(), as Argo's expressions have it.

#include <string_view>

#include "libkf/util/json.h"

namespace kf::workflow {

// A JSONPath query on a JSON document (the subset Argo's examples use:
// $, .key, ['key'], [n], [*]); one match is returned as it is, several as a
// list. kf::Error when the path cannot be read or nothing matches.
Json jsonpath(const Json& document, std::string_view path);

} // namespace kf::workflow
