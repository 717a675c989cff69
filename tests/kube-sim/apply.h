#pragma once
// Patches and field ownership, as pure functions over JSON objects.
//
// Simplified server-side apply (what a real API server does more precisely):
// - a manager's fields are the leaf paths of what it applied; lists are
//   atomic leaves (no merge keys, no list-type=map merging);
// - a conflict is a field another manager owns whose value the apply would
//   change; `force` takes the conflicting fields over;
// - fields a manager applied before and no longer applies are removed unless
//   another manager owns them;
// - Update operations (POST, PUT, merge patch) own the leaves whose values
//   they changed (on create: every leaf), taking them from other managers.
// managedFields entries have the real shape (manager, operation, apiVersion,
// time, fieldsType FieldsV1, fieldsV1 {"f:data":{"f:key":{}}}).

#include <string>

#include "tests/kube-sim/store.h"

namespace kubesim {

// RFC 7386 JSON merge patch (also used for strategic merge patches, whose
// list-merge directives kube-sim does not implement).
Json merge_patch(Json target, const Json& patch);

// The object after `manager` applies `applied` to `current` (nullptr: none).
// Throws ApiError 409 Conflict listing the conflicts unless `force`.
Json server_side_apply(const Json* current, const Json& applied, const std::string& manager, bool force);

// Records an Update by `manager` that turned `before` (nullptr on create)
// into `after`, in after's managedFields.
void track_update(const Json* before, Json& after, const std::string& manager);

} // namespace kubesim
