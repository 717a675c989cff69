#pragma once
// kf's in-memory form of a Kubernetes object or any JSON document:
// nlohmann::ordered_json keeps keys in the order templates wrote them, so
// rendered manifests read apiVersion, kind, metadata, spec — like kubectl's.

#include <nlohmann/json.hpp>

namespace kf {
using Json = nlohmann::ordered_json;
} // namespace kf
