#pragma once
// Katib's shapes as kf status shows them, for both targets' descriptions.

#include <string>

#include "libkf/util/json.h"

namespace kf::target {

// Katib's parameterAssignments [{name, value}] as {name: value}.
Json katib_assignments(const Json& list);
// Katib's observation {metrics: [{name, latest, min, max}]} as {name: value},
// numbers where they parse. The value is the one the Experiment's
// spec.objective ranks trials by: its metricStrategies, else Katib's
// defaults (the objective metric's min or max by objective type, the others'
// latest); without an objective, latest.
Json katib_observed(const Json& observation, const Json& objective = Json());
// pbt's lineage of a Trial, from the labels Katib's pbt service sets:
// {"generation": N, "parent": "trial"} (parent absent in generation 0), or
// an empty object for the other algorithms.
Json katib_lineage(const Json& trial_metadata);
// The field of an observed metric ("min", "max" or "latest") spec.objective ranks it by.
std::string katib_strategy(const Json& objective, const std::string& metric);

} // namespace kf::target
