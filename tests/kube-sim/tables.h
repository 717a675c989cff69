#pragma once
// Server-side printing: what kube-apiserver answers when a client asks for
// `application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get does, for its
// default and -o wide output). A meta.k8s.io/v1 Table has column
// definitions and one row of cells per object; a CRD's columns come from its
// additionalPrinterColumns (JSONPath), the built-in kinds kube-sim serves
// have kube-apiserver's own columns, anything else Name + Created At.
// Simplified: a JSONPath is the subset the upstream Kubeflow CRDs use
// (fields, [n], [-1:], [*], [?(@.f=='v')] and [?(@.f==true)]).

#include <httplib.h>

#include <string>
#include <vector>

#include "tests/kube-sim/store.h"

namespace kubesim {

// Whether the client accepts a meta.k8s.io/v1 Table.
bool wants_table(const httplib::Request& req);

// A Table of `objects` (of type `t`). Each row's object follows
// includeObject: PartialObjectMetadata (the default, "Metadata"), the whole
// object ("Object") or none ("None"). `list_metadata` becomes the Table's
// metadata (resourceVersion, continue).
Json to_table(const Store& store, const ResourceType& t, const std::vector<Json>& objects, const std::string& include_object,
              const Json& list_metadata);

// kube-apiserver's duration.HumanDuration of the time since an RFC 3339
// time ("5m", "2d3h"); "<unknown>" when it is not one.
std::string human_age(const std::string& rfc3339);

// The results of a printer column's JSONPath on `obj` (empty when none).
std::vector<Json> json_path(const Json& obj, const std::string& path);

} // namespace kubesim
