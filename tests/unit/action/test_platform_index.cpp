// libkf/platform/index.cpp: the component index and kf.yaml's selection from it.
#include <doctest/doctest.h>

#include "libkf/platform/index.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {

const char* k_index = R"(components:
  - name: cert-manager
    git: https://example.com/cm.git
    ref: v1
    path: deploy
  - name: kserve
    git: https://example.com/kserve.git
    ref: v2
    requires: [cert-manager]
    provides: [InferenceService]
  - name: katib
    git: https://example.com/katib.git
    ref: v3
    render: yaml
)";

spec::PlatformSpec platform_of(std::vector<std::pair<std::string, std::string>> components) {
  spec::PlatformSpec p;
  int line = 10;
  for (auto& [name, version] : components) {
    spec::ComponentSpec c;
    c.name = name;
    c.version = version;
    c.loc = yaml::Loc{std::make_shared<const std::string>("kf.yaml"), line++, 9};
    p.components.push_back(c);
  }
  return p;
}

std::string spec_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const SpecError& e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST_CASE("component index: kf's own index names a pinned git source and a renderer for every component") {
  const auto& index = platform::builtin_index();
  REQUIRE(index.find("training-operator"));
  const auto* trainer = index.find("training-operator");
  CHECK(trainer->git == "https://github.com/kubeflow/trainer.git");
  CHECK(trainer->ref == "v1.9.4");
  CHECK(trainer->render == "kustomize");
  for (const char* name : {"training-operator", "katib", "kserve", "argo-workflows", "pipelines", "notebooks"})
    CHECK_MESSAGE(index.find(name), name);
  for (const auto& c : index.components) {
    CHECK_MESSAGE(!c.git.empty(), c.name);
    CHECK_MESSAGE(!c.ref.empty(), c.name);
  }
}

TEST_CASE("component index: fields and defaults") {
  const auto index = platform::parse_index(k_index, "idx.yaml");
  REQUIRE(index.components.size() == 3);
  CHECK(index.components[0].path == "deploy");
  CHECK(index.components[0].render == "kustomize");
  CHECK(index.components[2].path == ".");
  CHECK(index.components[2].render == "yaml");
  CHECK(index.components[1].requires_ == std::vector<std::string>{"cert-manager"});
  CHECK(index.find("nope") == nullptr);
}

TEST_CASE("component index: errors name the file, line and field") {
  CHECK(spec_error([] { platform::parse_index("components:\n  - name: a\n    git: u\n", "idx.yaml"); }) ==
        "idx.yaml:2:5: components[0].ref: required field is missing");
  CHECK(spec_error([] {
          platform::parse_index("components:\n  - name: a\n    git: u\n    ref: v1\n    render: helm\n", "idx.yaml");
        }) == "idx.yaml:5:13: components[0].render: unsupported value \"helm\": supported values: \"kustomize\", \"yaml\"");
  CHECK(spec_error([] {
          platform::parse_index("components:\n  - name: a\n    git: u\n    ref: v1\n    requires: [katbi]\n"
                                "  - name: katib\n    git: u\n    ref: v1\n",
                                "idx.yaml");
        }) == "idx.yaml:2:5: components[0].requires: unknown component \"katbi\" (did you mean 'katib'?)");
  CHECK(spec_error([] { platform::parse_index("components: {}\n", "idx.yaml"); }) ==
        "idx.yaml:1:13: components: expected a list of components");
}

TEST_CASE("select: requirements come first, once - kf.yaml's order otherwise") {
  const auto index = platform::parse_index(k_index, "idx.yaml");
  const auto s = platform::select(index, platform_of({{"katib", ""}, {"kserve", ""}, {"cert-manager", ""}}));
  REQUIRE(s.size() == 3);
  CHECK(s[0].component.name == "katib");
  CHECK(s[1].component.name == "cert-manager");
  CHECK(s[2].component.name == "kserve");
  CHECK_FALSE(s[1].implied);

  const auto implied = platform::select(index, platform_of({{"kserve", ""}}));
  REQUIRE(implied.size() == 2);
  CHECK(implied[0].component.name == "cert-manager");
  CHECK(implied[0].implied);
  CHECK(implied[0].ref == "v1");
}

TEST_CASE("select: the ref is kf.yaml's version, else the source's #REF, else the index's") {
  const auto index = platform::parse_index(k_index, "idx.yaml");
  CHECK(platform::select(index, platform_of({{"katib", ""}}))[0].ref == "v3");
  CHECK(platform::select(index, platform_of({{"katib", ""}}), "fixtures-1")[0].ref == "fixtures-1");
  CHECK(platform::select(index, platform_of({{"katib", "v3.1"}}), "fixtures-1")[0].ref == "v3.1");
}

TEST_CASE("select: an unknown component gets a did-you-mean and the known names") {
  const auto index = platform::parse_index(k_index, "idx.yaml");
  CHECK(spec_error([&] { platform::select(index, platform_of({{"katbi", ""}})); }) ==
        "kf.yaml:10:9: spec.platform.components[0].name: unknown component \"katbi\" (did you mean 'katib'?); known: "
        "cert-manager, kserve, katib");
}

TEST_CASE("select: components that require each other are refused") {
  const auto index = platform::parse_index(R"(components:
  - {name: a, git: u, ref: v1, requires: [b]}
  - {name: b, git: u, ref: v1, requires: [a]}
)",
                                           "idx.yaml");
  CHECK(spec_error([&] { platform::select(index, platform_of({{"a", ""}})); }) ==
        "idx.yaml:2:5: components require each other in a cycle: a -> b -> a");
}
