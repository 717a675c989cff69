#pragma once
// An Argo Workflow's status.nodes as `argo get` draws them: the workflow's
// node, then under a steps node its steps group by group, under a DAG its
// tasks (in the order they started), under a retry its attempts, under a
// loop its items: each node once, whichever target ran it.

#include <string>
#include <vector>

#include "libkf/util/json.h"

namespace kf::target {

// Rows depth first: name (displayName), type, phase, message, depth,
// template, id, startedAt, finishedAt, duration (seconds, to now while
// running), cached (memoizationStatus.hit).
Json workflow_tree(const Json& workflow, std::int64_t now_seconds);

// The workflow's Pod nodes in the order they started; only the one `node`
// names (its display name, full name or id) when it is not "". UsageError
// when no step or several have that name (kf logs RUN --node NODE).
std::vector<Json> workflow_pods(const Json& workflow, const std::string& node, const std::string& run);

} // namespace kf::target
