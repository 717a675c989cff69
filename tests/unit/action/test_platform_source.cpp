// libkf/platform/source.cpp and render.cpp: where components come from, the
// source cache (libgit2, a local repository) and rendering (YAML, kustomize).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "libkf/platform/render.h"
#include "libkf/platform/source.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/git.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
namespace stdfs = std::filesystem;
using test::TempDir;

namespace {

platform::Selected katib() {
  platform::Component c;
  c.name = "katib";
  c.git = "https://github.com/kubeflow/katib.git";
  c.ref = "v0.19.0";
  c.path = "manifests/v1beta1/installs/katib-standalone";
  return {c, "v0.19.0", false};
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// An executable shell script at dir/name.
void script(const TempDir& tmp, const std::string& name, const std::string& body) {
  const auto path = tmp.write(name, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
}

} // namespace

TEST_CASE("source: the index's repository, a git source's <component> directory, or a local directory") {
  const auto from_index = platform::origin(katib(), "", "/project");
  CHECK(from_index.git == "https://github.com/kubeflow/katib.git");
  CHECK(from_index.ref == "v0.19.0");
  CHECK(from_index.path == "manifests/v1beta1/installs/katib-standalone");

  const auto from_git = platform::origin(katib(), "file:///srv/platform.git#fixtures", "/project");
  CHECK(from_git.git == "file:///srv/platform.git");
  CHECK(from_git.path == "katib");

  const auto local = platform::origin(katib(), "platform", "/project");
  CHECK(local.git.empty());
  CHECK(local.path == "/project/platform/katib");
  CHECK(platform::origin(katib(), "/srv/platform", "/project").path == "/srv/platform/katib");

  for (const char* git : {"https://github.com/kubeflow/manifests", "file:///tmp/x", "git@github.com:kubeflow/x",
                          "../platform.git", "/srv/repo#v1"})
    CHECK_MESSAGE(platform::is_git_source(git), git);
  for (const char* dir : {"platform", "/srv/platform", "./a:b"}) CHECK_FALSE_MESSAGE(platform::is_git_source(dir), dir);
  CHECK(platform::split_ref("file:///x#v1") == std::pair<std::string, std::string>{"file:///x", "v1"});
}

TEST_CASE("fetch: a local repository is cloned once into the cache, one checkout per commit") {
  TempDir tmp;
  const auto repo = tmp.path / "repo";
  stdfs::create_directories(repo / "katib");
  fs::write_file_atomic(repo / "katib" / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  const std::string commit = git::init_and_commit(repo, {"katib/cm.yaml"}, "fixtures");
  platform::FetchOptions o;
  o.cache_dir = tmp.path / "cache";
  const std::string url = "file://" + repo.string();
  const auto by_branch = platform::fetch(url, "main", o);
  CHECK(by_branch.filename() == commit);
  CHECK(stdfs::is_regular_file(by_branch / "katib" / "cm.yaml"));
  CHECK(platform::fetch(url, commit, o) == by_branch);
  CHECK(error_of([&] { platform::fetch(url, "v9.9", o); }) ==
        "cannot check out v9.9 of " + url + ": no such branch, tag or commit");
  CHECK(error_of([&] { platform::fetch("file://" + (tmp.path / "missing").string(), "main", o); })
            .rfind("cannot fetch file://" + (tmp.path / "missing").string() + ": ", 0) == 0);
}

TEST_CASE("render: plain YAML files, each object tagged with its component") {
  TempDir tmp;
  tmp.write("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
  tmp.write("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: List\n"
                      "items: [{apiVersion: v1, kind: ServiceAccount, metadata: {name: s}}]\n");
  tmp.write("notes.txt", "not a manifest");
  const auto objects = platform::render_dir("katib", tmp.path, "", platform::RenderTools{});
  REQUIRE(objects.size() == 3);
  CHECK(objects[0].object["metadata"]["name"] == "a");
  CHECK(objects[1].object["kind"] == "ServiceAccount");
  CHECK(objects[2].object["metadata"]["name"] == "b");
  for (const auto& m : objects) CHECK(m.component == "katib");
  CHECK(error_of([&] { platform::render_dir("katib", tmp.path / "nope", "", {}); }) ==
        "component katib: " + (tmp.path / "nope").string() + " does not exist");
  CHECK(error_of([&] { platform::render_dir("katib", tmp.path, "kustomize", {}); }) ==
        "component katib: " + tmp.path.string() + " has no kustomization.yaml (kf's index renders it with kustomize)");
}

TEST_CASE("render: a kustomization needs kustomize or kubectl, and a failure shows the tool's stderr") {
  TempDir tmp, tools;
  tmp.write("kustomization.yaml", "resources: [cm.yaml]\n");
  CHECK(error_of([&] { platform::render_dir("kserve", tmp.path, "", platform::find_tools("")); }) ==
        "component kserve: " + tmp.path.string() +
            " is a kustomization, and neither 'kustomize' nor 'kubectl' is on PATH: install one of them "
            "(kf runs 'kustomize build' or 'kubectl kustomize')");

  script(tools, "kubectl", "[ \"$1\" = kustomize ] || exit 9\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: k}\\n'\n");
  auto found = platform::find_tools(tools.path.string() + ":/nonexistent");
  CHECK(found.kustomize.empty());
  CHECK(found.kubectl == (tools.path / "kubectl").string());
  const auto objects = platform::render_dir("kserve", tmp.path, "", found);
  REQUIRE(objects.size() == 1);
  CHECK(objects[0].object["metadata"]["name"] == "k");
  CHECK(objects[0].source == "kubectl kustomize " + tmp.path.string() + ":1:1");

  script(tools, "kustomize", "echo 'Error: accumulating resources: cm.yaml: no such file' >&2\nexit 1\n");
  found = platform::find_tools(tools.path.string());
  CHECK(found.kustomize == (tools.path / "kustomize").string());
  CHECK(error_of([&] { platform::render_dir("kserve", tmp.path, "kustomize", found); }) ==
        "component kserve: kustomize build " + tmp.path.string() +
            " failed (exit status 1):\nError: accumulating resources: cm.yaml: no such file");
}
