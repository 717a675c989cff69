// Tests for libkf/render/schema*.cpp: each rule against a small inline CRD
// schema with its message pinned, loading, and the CRD scan. The real
// upstream CRDs are in test_schema_upstream.cpp.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "libkf/render/schema.h"
#include "tests/unit/render/schema_checks.h"
#include "libkf/render/schema_internal.h"
#include "libkf/util/error.h"
#include "libkf/util/yaml.h"

using kf::Json;
using kf::render::SchemaSet;
using kf::render::Violation;
using kf::render::test::check;
using kf::render::test::Lines;
using kf::render::test::y;

namespace {

// A CRD example.com/v1 Widget whose spec has the given schema.
SchemaSet widget_set(const char* spec_schema) {
  Json crd = y(R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
)");
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = y(spec_schema);
  SchemaSet set;
  set.add_crd(crd);
  return set;
}

Json widget(const char* spec) {
  Json obj = y("{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}");
  obj["spec"] = y(spec);
  return obj;
}

} // namespace

TEST_SUITE("render/schema") {

TEST_CASE("schema: types, with integer accepting whole doubles") {
  const auto set = widget_set(R"(
type: object
properties:
  replicas: {type: integer}
  ratio: {type: number}
  name: {type: string}
  on: {type: boolean}
  tags: {type: array, items: {type: string}}
  extra: {type: object}
)");
  CHECK(check(set, widget("{replicas: 2.0, ratio: 1, name: a, on: true, tags: [x]}")).empty());
  CHECK(check(set, widget("{replicas: two}")) ==
        Lines{R"(Widget "w": spec.replicas: Invalid value: "string": must be of type integer)"});
  CHECK(check(set, widget("{replicas: 2.5, ratio: x, name: 1, on: yes, tags: [1], extra: []}")) ==
        Lines{R"(Widget "w": spec.replicas: Invalid value: "number": must be of type integer)",
              R"(Widget "w": spec.ratio: Invalid value: "string": must be of type number)",
              R"(Widget "w": spec.name: Invalid value: "integer": must be of type string)",
              R"(Widget "w": spec.on: Invalid value: "string": must be of type boolean)",
              R"(Widget "w": spec.tags[0]: Invalid value: "integer": must be of type string)",
              R"(Widget "w": spec.extra: Invalid value: "array": must be of type object)"});
}

TEST_CASE("schema: required, nullable and pruned nulls") {
  const auto set = widget_set(R"(
type: object
required: [image, size, pull]
properties:
  pull: {type: string, default: IfNotPresent}
  image: {type: string}
  size: {type: integer}
  note: {type: string, nullable: true}
  items: {type: array, items: {type: string}}
)");
  CHECK(check(set, widget("{size: 1}")) == Lines{R"(Widget "w": spec.image: Required value)"});
  CHECK(check(set, widget("{image: a, size: null, note: null}")) == Lines{R"(Widget "w": spec.size: Required value)"});
  CHECK(check(set, widget("{image: a, size: 1, items: [null]}")) ==
        Lines{R"(Widget "w": spec.items[0]: Invalid value: "null": must be of type string)"});
}

TEST_CASE("schema: enum, bounds, lengths and patterns") {
  const auto set = widget_set(R"(
type: object
properties:
  policy: {type: string, enum: [Always, OnFailure, Never, ExitCode]}
  replicas: {type: integer, minimum: 0, maximum: 10}
  port: {type: integer, minimum: 0, exclusiveMinimum: true, maximum: 100, exclusiveMaximum: true}
  step: {type: number, multipleOf: 0.5}
  name: {type: string, minLength: 1, maxLength: 5, pattern: '^[a-z]+$'}
)");
  CHECK(check(set, widget("{policy: Never, replicas: 0, port: 99, step: 1.5, name: abc}")).empty());
  CHECK(check(set, widget("{policy: Sometimes}")) ==
        Lines{R"(Widget "w": spec.policy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never", "ExitCode")"});
  CHECK(check(set, widget("{replicas: -1}")) ==
        Lines{R"(Widget "w": spec.replicas: Invalid value: -1: should be greater than or equal to 0)"});
  CHECK(check(set, widget("{replicas: 11, port: 0}")) ==
        Lines{R"(Widget "w": spec.replicas: Invalid value: 11: should be less than or equal to 10)",
              R"(Widget "w": spec.port: Invalid value: 0: should be greater than 0)"});
  CHECK(check(set, widget("{port: 100, step: 0.7}")) ==
        Lines{R"(Widget "w": spec.port: Invalid value: 100: should be less than 100)",
              R"(Widget "w": spec.step: Invalid value: 0.7: should be a multiple of 0.5)"});
  CHECK(check(set, widget("{name: ''}")) ==
        Lines{R"(Widget "w": spec.name: Invalid value: "": should be at least 1 chars long)",
              R"(Widget "w": spec.name: Invalid value: "": should match '^[a-z]+$')"});
  CHECK(check(set, widget("{name: abcdef}")) == Lines{R"(Widget "w": spec.name: Too long: may not be longer than 5)"});
}

// std::regex's recursive matcher overflowed the stack on a long value (kf
// apply or render of a manifest with a 100 KB string: a segfault).
TEST_CASE("schema: a pattern is matched in linear time on a 1 MiB value") {
  const auto set = widget_set("{type: object, properties: {name: {type: string, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$'}}}");
  const std::string big = "a" + std::string(1 << 20, 'b');
  CHECK(check(set, widget(("{name: " + big + "}").c_str())).empty());
  const auto bad = check(set, widget(("{name: " + big + "-}").c_str()));
  REQUIRE(bad.size() == 1u);
  CHECK(bad[0].find("should match '^[a-z]([-a-z0-9]*[a-z0-9])?$'") != std::string::npos);
}

TEST_CASE("schema: arrays, list-type set and map") {
  const auto set = widget_set(R"(
type: object
properties:
  ports:
    type: array
    minItems: 1
    maxItems: 3
    x-kubernetes-list-type: map
    x-kubernetes-list-map-keys: [name]
    items: {type: object, properties: {name: {type: string}, port: {type: integer}}}
  tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}
)");
  CHECK(check(set, widget("{ports: [{name: a, port: 1}, {name: b, port: 1}], tags: [x, y]}")).empty());
  CHECK(check(set, widget("{ports: []}")) == Lines{R"(Widget "w": spec.ports: Invalid value: 0: should have at least 1 items)"});
  CHECK(check(set, widget("{ports: [{name: a}, {name: b}, {name: c}, {name: d}]}")) ==
        Lines{R"(Widget "w": spec.ports: Too many: 4: must have at most 3 items)"});
  CHECK(check(set, widget("{ports: [{name: a, port: 1}, {name: a, port: 2}], tags: [x, x]}")) ==
        Lines{R"(Widget "w": spec.ports[1]: Duplicate value: {"name":"a"})",
              R"(Widget "w": spec.tags[1]: Duplicate value: "x")"});
}

TEST_CASE("schema: unknown fields and additionalProperties") {
  const auto set = widget_set(R"(
type: object
properties:
  replicas: {type: integer}
  labels: {type: object, additionalProperties: {type: string}}
  closed: {type: object, properties: {a: {type: string}}, additionalProperties: false}
  open: {type: object, additionalProperties: true}
  free: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {n: {type: integer}}}
  pruned: {type: object}
)");
  CHECK(check(set, widget("{labels: {app.kubernetes.io/name: x}, open: {z: 1}, free: {n: 1, z: [1]}}")).empty());
  CHECK(check(set, widget("{replica: 1}")) ==
        Lines{R"(Widget "w": spec.replica: unknown field "replica" (did you mean 'replicas'?))"});
  CHECK(check(set, widget("{labels: {app.kubernetes.io/name: 1}, closed: {zzz: x}, free: {n: x}, pruned: {x: 1}}")) ==
        Lines{R"(Widget "w": spec.labels[app.kubernetes.io/name]: Invalid value: "integer": must be of type string)",
              R"(Widget "w": spec.closed.zzz: unknown field "zzz")",
              R"(Widget "w": spec.free.n: Invalid value: "string": must be of type integer)",
              R"(Widget "w": spec.pruned.x: unknown field "x")"});
  CHECK(check(set, y("{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, extra: 1}")) ==
        Lines{R"(Widget "w": extra: unknown field "extra")"});
}

TEST_CASE("schema: int-or-string and resource quantities") {
  const auto set = widget_set(R"(
type: object
properties:
  port: {x-kubernetes-int-or-string: true}
  limits:
    type: object
    additionalProperties:
      anyOf: [{type: integer}, {type: string}]
      pattern: ^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$
      x-kubernetes-int-or-string: true
)");
  CHECK(check(set, widget("{port: http, limits: {cpu: 500m, memory: 2Gi, a: '1e3', b: '0.5', c: 2, d: 1e3}}")).empty());
  CHECK(check(set, widget("{port: true}")) ==
        Lines{R"(Widget "w": spec.port: Invalid value: "boolean": must be of type integer or string)"});
  const auto bad = check(set, widget("{limits: {memory: 2 GB, cpu: 0.5}}"));
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].starts_with(R"(Widget "w": spec.limits.memory: Invalid value: "2 GB": should match '^(\+|-)?)"));
  CHECK(bad[1] == R"(Widget "w": spec.limits.cpu: Invalid value: "number": must be of type integer or string)");
}

TEST_CASE("schema: anyOf, oneOf, allOf and not") {
  const auto set = widget_set(R"(
type: object
properties:
  any: {type: string, anyOf: [{minLength: 3}, {enum: [x]}]}
  one: {type: object, properties: {a: {type: string}, b: {type: string}}, oneOf: [{required: [a]}, {required: [b]}]}
  all: {type: integer, allOf: [{minimum: 1}, {maximum: 5}]}
  nope: {type: string, not: {enum: [bad]}}
)");
  CHECK(check(set, widget("{any: x, one: {a: x}, all: 3, nope: good}")).empty());
  CHECK(check(set, widget("{any: ab, one: {a: x, b: y}, all: 9, nope: bad}")) ==
        Lines{R"(Widget "w": spec.any: Invalid value: "ab": must validate at least one schema (anyOf))",
              R"(Widget "w": spec.any: Invalid value: "ab": should be at least 3 chars long)",
              R"(Widget "w": spec.one: Invalid value: "object": must validate one and only one schema (oneOf))",
              R"(Widget "w": spec.all: Invalid value: 9: should be less than or equal to 5)",
              R"(Widget "w": spec.nope: Invalid value: "bad": must not validate the schema (not))"});
}

TEST_CASE("schema: embedded resources and the object's metadata") {
  const auto set = widget_set(R"(
type: object
properties:
  template:
    type: object
    x-kubernetes-embedded-resource: true
    x-kubernetes-preserve-unknown-fields: true
  strict:
    type: object
    x-kubernetes-embedded-resource: true
    properties: {spec: {type: object, properties: {n: {type: integer}}}}
)");
  CHECK(check(set, widget("{template: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {x: 1}}, "
                          "strict: {apiVersion: v1, kind: Pod, metadata: {}, spec: {n: 1}}}"))
            .empty());
  CHECK(check(set, widget("{template: {kind: 1}, strict: {apiVersion: v1, kind: Pod, metadata: 1}}")) ==
        Lines{R"(Widget "w": spec.template.apiVersion: Required value)",
              R"(Widget "w": spec.template.kind: Invalid value: "integer": must be of type string)",
              R"(Widget "w": spec.strict.metadata: Invalid value: "integer": must be of type object)"});
  CHECK(check(set, y("{apiVersion: example.com/v1, kind: Widget, metadata: {generateName: w-}}")).empty());
  CHECK(check(set, y("{apiVersion: example.com/v1, kind: Widget}")) ==
        Lines{R"(Widget (unnamed): metadata.name: Required value: name or generateName is required)"});
  CHECK(check(set, y("{apiVersion: example.com/v1, kind: Widget, metadata: {name: 1, labels: {a: 1}}}")) ==
        Lines{R"(Widget (unnamed): metadata.name: Invalid value: "integer": must be of type string)",
              R"(Widget (unnamed): metadata.labels.a: Invalid value: "integer": must be of type string)"});
}

TEST_CASE("schema: swagger definitions, refs and GVK mapping") {
  SchemaSet set;
  set.add_swagger(y(R"(
swagger: '2.0'
definitions:
  v1.Gadget:
    x-kubernetes-group-version-kind: [{group: example.com, version: v1, kind: Gadget}]
    properties:
      apiVersion: {type: string}
      kind: {type: string}
      metadata: {$ref: '#/definitions/v1.ObjectMeta'}
      spec: {$ref: '#/definitions/v1.GadgetSpec'}
  v1.GadgetSpec:
    properties:
      size: {type: integer}
      inner: {$ref: '#/definitions/v1.Inner'}
      pod: {$ref: '#/definitions/v1.PodTemplateSpec'}
      free: {type: object}
  v1.Inner: {properties: {a: {type: string}}}
  v2beta1.Widget:
    type: object
    properties: {apiVersion: {type: string}, kind: {type: string}, spec: {properties: {n: {type: integer}}}}
)"));
  CHECK(set.has("example.com/v1", "Gadget"));
  CHECK_FALSE(set.has("example.com/v2beta1", "Widget")); // named by version only: needs a CRD for its group
  const auto gadget = [](const char* spec) {
    Json obj = y("{apiVersion: example.com/v1, kind: Gadget, metadata: {name: g}}");
    obj["spec"] = y(spec);
    return obj;
  };
  CHECK(check(set, gadget("{size: 1, inner: {a: x}, pod: {anything: [1]}, free: {z: 1}}")).empty());
  CHECK(check(set, gadget("{size: x, inner: 1, sise: 1}")) ==
        Lines{R"(Gadget "g": spec.size: Invalid value: "string": must be of type integer)",
              R"(Gadget "g": spec.inner: Invalid value: "integer": must be of type object)",
              R"(Gadget "g": spec.sise: unknown field "sise" (did you mean 'size'?))"});

  // A schemaless CRD takes its schema from the swagger definition "v2beta1.Widget".
  set.add_crd(y(R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.com
  names: {kind: Widget}
  versions:
  - {name: v2beta1, served: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
)"));
  CHECK(set.kinds() == Lines{"example.com/v1, Kind=Gadget", "example.com/v2beta1, Kind=Widget"});
  CHECK(check(set, y("{apiVersion: example.com/v2beta1, kind: Widget, metadata: {name: w}, spec: {n: x}}")) ==
        Lines{R"(Widget "w": spec.n: Invalid value: "string": must be of type integer)"});
}

TEST_CASE("schema: errors") {
  const auto set = widget_set("{type: object}");
  CHECK_THROWS_WITH_AS(set.validate(y("{apiVersion: example.com/v2, kind: Widget}")),
                       "no schema for example.com/v2, Kind=Widget in the loaded schemas", kf::Error);
  CHECK_THROWS_WITH_AS(set.validate(y("{kind: Widget}")), "cannot validate an object without apiVersion and kind",
                       kf::SpecError);
  SchemaSet other;
  CHECK_THROWS_WITH_AS(other.add_crd(y("{apiVersion: v1, kind: ConfigMap}")), "add_crd: not a CustomResourceDefinition",
                       kf::SpecError);
  CHECK_THROWS_WITH_AS(other.add_swagger(y("{swagger: '2.0'}")), "swagger document without \"definitions\"",
                       kf::SpecError);
}

TEST_CASE("schema: the CRD scan reads group, kind and served versions") {
  const auto scan = kf::render::detail::scan_crds(R"(# license
---
apiVersion: v1
kind: ConfigMap
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: a.example.com
  versions:
    - name: v1
      served: false
      schema:
        openAPIV3Schema:
          description: |-
            names:
              kind: Wrong
          properties:
            name: {type: string}
    - served: true  # comment
      name: "v2"
  names:
    kind: Thing
    plural: things
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  names: {kind: Flow}
)");
  CHECK_FALSE(scan.complete); // the flow-style document needs a real parse
  REQUIRE(scan.crds.size() == 1);
  CHECK(scan.crds[0].group == "a.example.com");
  CHECK(scan.crds[0].kind == "Thing");
  REQUIRE(scan.crds[0].versions.size() == 2);
  CHECK(scan.crds[0].versions[0].name == "v1");
  CHECK_FALSE(scan.crds[0].versions[0].served);
  CHECK(scan.crds[0].versions[1].name == "v2");
  CHECK(scan.crds[0].versions[1].served);
}

TEST_CASE("schema: load_dir reads CRD files lazily and JSON swagger") {
  const auto dir = std::filesystem::temp_directory_path() / "kf-test-schema-load-dir";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "things.yaml") << "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                                        "spec:\n  group: example.com\n  names:\n    kind: Thing\n  versions:\n"
                                        "  - name: v1\n    served: true\n    schema:\n      openAPIV3Schema:\n"
                                        "        type: object\n        properties:\n          spec: {type: object}\n";
  std::ofstream(dir / "flow.yml") << "{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, spec: "
                                     "{group: example.com, names: {kind: Flow}, versions: [{name: v1, served: true}]}}\n";
  std::ofstream(dir / "swagger.json") << R"({"swagger": "2.0", "definitions": {"v1.Thing": {"properties": {}}}})";
  std::ofstream(dir / "notes.txt") << "ignored";
  const auto set = SchemaSet::load_dir(dir);
  CHECK(set.kinds() == Lines{"example.com/v1, Kind=Flow", "example.com/v1, Kind=Thing"});
  CHECK(check(set, y("{apiVersion: example.com/v1, kind: Thing, metadata: {name: t}, spec: {x: 1}}")) ==
        Lines{R"(Thing "t": spec.x: unknown field "x")"});
  CHECK(check(set, y("{apiVersion: example.com/v1, kind: Flow, metadata: {name: f}, spec: {x: 1}}")).empty());
  std::filesystem::remove_all(dir);
  CHECK_THROWS_AS(SchemaSet::load_dir(dir), kf::Error);
}

} // TEST_SUITE
