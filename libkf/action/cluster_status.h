#pragma once
// `kf status` for a cluster target (action::status calls it): one row per run
// object with the fields of status()'s comment, plus progressText ("2/3
// running", "5/12 trials, best accuracy=0.91", "3/4 nodes"), namespace,
// bestTrial {name, parameters, metrics} of an Experiment, and the object's
// whole status (-o json). A single run adds conditions, pods (replica, phase,
// restarts), recent events of the run and its pods, the metrics of the master's last epoch line, an Experiment's
// trials, a Workflow's node tree (nodes: name, type, phase, depth), and for a
// failed run its failing replica's last log lines.

#include <vector>

#include "libkf/action/runs.h"
#include "libkf/cluster/cluster_target.h"

namespace kf::action {

std::vector<Json> cluster_status(const Context& ctx, const StatusOptions& options, cluster::ClusterTarget& target);

} // namespace kf::action
