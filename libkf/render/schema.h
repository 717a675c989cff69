#pragma once
// SchemaSet: validates Kubernetes objects against the OpenAPI v3 schemas of
// CustomResourceDefinitions and against swagger 2.0 definitions, the way the
// apiserver and `kubectl --validate=strict` would, without a cluster.
//
// Rules covered: type (integer accepts whole doubles), properties, required,
// items, enum, additionalProperties (bool or schema), nullable,
// x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields,
// x-kubernetes-embedded-resource, x-kubernetes-list-type set/map duplicates,
// anyOf/oneOf/allOf/not, minimum/maximum (and exclusive), multipleOf,
// min/maxLength, min/maxItems, min/maxProperties, pattern (ECMAScript,
// search semantics like Go's regexp). Ignored: x-kubernetes-validations (CEL
// rules need a CEL engine) and `format` (date-time, byte, int32... are not
// checked). A field outside `properties` of a CRD (structural) object is an
// "unknown field" unless the schema preserves unknown fields; swagger objects
// without properties are free-form maps. A swagger $ref that cannot be
// resolved in the document (e.g. Katib's refs to k8s core types such as
// v1.ObjectMeta or v1.Container) accepts anything. A null object field that
// is not nullable is dropped, as the apiserver prunes it (a required one then
// reports "Required value"); a missing required field with a `default` is fine.
//
// load_dir only scans CRD files for their group/kind/versions; a file's full
// YAML is parsed on the first validate() of one of its kinds. The set owns its
// schemas; const members may be called from several threads (lazy loads are
// guarded by a mutex). Move-only.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libkf/util/json.h"

namespace kf::render {

struct Violation {
  std::string object; // Kind + quoted metadata.name: PyTorchJob "demo-train"
  std::string path;   // spec.pytorchReplicaSpecs.Master.replicas; list items as containers[0]
  std::string rule;   // apiserver wording: Invalid value: -1: should be greater than or equal to 0
  // `PyTorchJob "demo-train": spec.x.replicas: Invalid value: -1: should be greater than or equal to 0`
  std::string str() const;
};

class SchemaSet {
public:
  SchemaSet();
  ~SchemaSet();
  SchemaSet(SchemaSet&&) noexcept;
  SchemaSet& operator=(SchemaSet&&) noexcept;
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // Every *.yaml / *.yml (CRDs; multi-document files fine, other documents
  // ignored) and *.json (swagger 2.0, or a CRD) directly in `dir`. Throws
  // kf::Error when the directory cannot be read, SpecError for a bad file.
  static SchemaSet load_dir(const std::filesystem::path& dir);
  // The upstream CRDs compiled into kf (third_party/crds, packed by
  // kf-crdpack): each CRD's JSON is parsed on the first validate() of one of
  // its kinds. Errors name "kf's built-in CRDs".
  static SchemaSet builtin();
  // builtin(), made once per process and shared (validate() locks): the
  // swaggers are parsed when it is made, the CRDs as their kinds are met.
  static const SchemaSet& shared_builtin();

  // An apiextensions.k8s.io/v1 CustomResourceDefinition: one schema per served
  // version. Throws SpecError when `crd` is not one.
  void add_crd(const Json& crd);
  // A swagger 2.0 document with "definitions" and "#/definitions/..." refs. A
  // definition maps to a GVK through x-kubernetes-group-version-kind, or by
  // its name "<version>.<Kind>" when a CRD of this set has that kind and
  // version (a leading '.' in the name is ignored). A swagger definition wins
  // over a schemaless CRD (preserve-unknown-fields at the root).
  void add_swagger(Json swagger); // taken by value: kept whole, moved in when the caller is done with it

  bool has(std::string_view api_version, std::string_view kind) const;
  // "group/version, Kind=Foo" ("v1, Kind=Foo" for the core group), sorted.
  std::vector<std::string> kinds() const;

  // Violations in the order the schema walk meets them; empty when `obj` is
  // valid. Throws kf::Error
  // "no schema for <apiVersion>, Kind=<kind> in <dir>" when the set has none,
  // SpecError when `obj` has no apiVersion/kind or a lazily parsed file is bad.
  std::vector<Violation> validate(const Json& obj) const;

  struct Impl;

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace kf::render
