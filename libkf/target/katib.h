#pragma once
// Katib's shapes as kf status shows them, for both targets' descriptions.

#include "libkf/util/json.h"

namespace kf::target {

// Katib's parameterAssignments [{name, value}] as {name: value}.
Json katib_assignments(const Json& list);
// Katib's observation {metrics: [{name, latest, min, max}]} as {name: latest}, numbers where they parse.
Json katib_observed(const Json& observation);

} // namespace kf::target
