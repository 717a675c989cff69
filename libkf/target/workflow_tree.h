#pragma once
// An Argo Workflow's status.nodes as `argo get` draws them: the workflow's
// node, then under a steps node its steps group by group, under a DAG its
// tasks (in the order they started), under a retry its attempts, under a
// loop its items: each node once, whichever target ran it.

#include "libkf/util/json.h"

namespace kf::target {

// Rows depth first: name (displayName), type, phase, message, depth,
// template, id, startedAt, finishedAt, duration (seconds, to now while
// running), cached (memoizationStatus.hit).
Json workflow_tree(const Json& workflow, std::int64_t now_seconds);

} // namespace kf::target
