#pragma once
// What kf has applied to a cluster, so that `kf apply --prune` and
// `kf delete --platform` find it again.
//
// Every object kf applies carries kf's labels (objects.h). To know which
// kinds to list, kf keeps a record: the ConfigMap kube-system/kf-applied-<NAME>
// (NAME = the applied-by label value: the project's name, or "manifests" for
// `kf apply -f`) whose data.kinds lists every "apiVersion/Kind" kf ever
// applied under that name, one a line. The record is written (the union of
// the old kinds and the new) before the objects are applied, so an apply that
// fails half-way still leaves them findable. kube-system exists on every
// cluster and kf never deletes it; the record itself carries
// app.kubernetes.io/managed-by=kf and kf.dev/record-of=NAME, not
// kf.dev/applied-by, so no selection of applied objects ever includes it.
//
// Pruning lists each recorded kind the server still serves with the label
// selector of NAME, and deletes what was not rendered this time. An object
// without both labels is never selected, even if a server ignored the selector.

#include <set>
#include <string>
#include <vector>

#include "libkf/kube/client.h"
#include "libkf/util/json.h"

namespace kf::platform {

inline constexpr const char* k_record_namespace = "kube-system";
std::string record_name(const std::string& applied_by); // "kf-applied-<name>"

// The recorded kinds ("apps/v1/Deployment"), sorted; empty when there is no record.
std::vector<std::string> read_record(kube::Client& client, const std::string& applied_by);
// Records `kinds` together with what was recorded before. Returns the union.
std::vector<std::string> write_record(kube::Client& client, const std::string& applied_by,
                                      const std::vector<std::string>& kinds, const std::string& field_manager);
void delete_record(kube::Client& client, const std::string& applied_by);

// Every object of the recorded kinds that carries kf's labels for `applied_by`.
std::vector<Json> list_applied(kube::Client& client, const std::string& applied_by, const std::vector<std::string>& kinds);

// Which of `listed` to prune: kf's labels for `applied_by`, and an identity
// (objects.h identity()) not in `keep`.
std::vector<Json> prune_selection(const std::vector<Json>& listed, const std::set<std::string>& keep,
                                  const std::string& applied_by);

} // namespace kf::platform
