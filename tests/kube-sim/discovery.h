#pragma once
// Discovery documents, built from the store's resource types on each
// request: /version, /api, /apis, /apis/<g>, /api/v1 and /apis/<g>/<v>
// (the legacy APIResourceList format; kubectl falls back to it when the
// aggregated format is not offered), and /openapi/v3 with one document per
// group-version. The OpenAPI documents are stubs: one `patch` operation per
// resource with its x-kubernetes-group-version-kind and the fieldValidation
// parameter, which is what makes kubectl trust server-side validation
// instead of fetching /openapi/v2. They carry no schemas.

#include <optional>
#include <string>
#include <vector>

#include "tests/kube-sim/store.h"

namespace kubesim {

Json version_doc();
Json api_versions_doc(const std::string& address);
Json api_group_list_doc(const std::vector<ResourceType>& types);
std::optional<Json> api_group_doc(const std::vector<ResourceType>& types, const std::string& group);
// group "" = the core group (/api/v1).
std::optional<Json> api_resource_list_doc(const std::vector<ResourceType>& types, const std::string& group,
                                          const std::string& version);
Json openapi_root_doc(const std::vector<ResourceType>& types);
// `gv_path` is "api/v1" or "apis/<g>/<v>".
std::optional<Json> openapi_gv_doc(const std::vector<ResourceType>& types, const std::string& gv_path);

} // namespace kubesim
