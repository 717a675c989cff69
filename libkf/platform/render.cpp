#include "libkf/platform/render.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::platform {

namespace stdfs = std::filesystem;

namespace {

// Runs argv[0] (a path), stdin from /dev/null, capturing stdout and stderr.
proc::Result run(const std::vector<std::string>& args) {
  proc::Command c;
  c.argv = args;
  c.out = c.err = proc::Stream::capture;
  return proc::run(c);
}

std::string find_on_path(const std::string& path_env, const std::string& name) {
  for (const auto& dir : str::split(path_env, ':')) {
    if (dir.empty()) continue;
    const stdfs::path p = stdfs::path(dir) / name;
    std::error_code ec;
    if (stdfs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

} // namespace

RenderTools find_tools(const std::string& path_env) {
  return RenderTools{find_on_path(path_env, "kustomize"), find_on_path(path_env, "kubectl")};
}

RenderTools installed_tools() {
  const char* path = std::getenv("PATH");
  return find_tools(path ? path : "");
}

bool is_kustomization(const stdfs::path& dir) {
  std::error_code ec;
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"})
    if (stdfs::is_regular_file(dir / name, ec)) return true;
  return false;
}

std::vector<Manifest> render_dir(const std::string& component, const stdfs::path& dir, const std::string& mode,
                                 const RenderTools& tools) {
  std::error_code ec;
  if (!stdfs::exists(dir, ec)) throw Error("component " + component + ": " + dir.string() + " does not exist");
  std::vector<Manifest> out;
  const bool kustomize = stdfs::is_directory(dir, ec) && (mode == "kustomize" || (mode.empty() && is_kustomization(dir)));
  if (!kustomize) {
    out = read_manifests({dir.string()}, "");
    for (auto& m : out) m.component = component;
    return out;
  }
  if (!is_kustomization(dir))
    throw Error("component " + component + ": " + dir.string() + " has no kustomization.yaml (kf's index renders it with kustomize)");
  std::vector<std::string> args;
  if (!tools.kustomize.empty()) args = {tools.kustomize, "build", dir.string()};
  else if (!tools.kubectl.empty()) args = {tools.kubectl, "kustomize", dir.string()};
  else
    throw Error("component " + component + ": " + dir.string() +
                " is a kustomization, and neither 'kustomize' nor 'kubectl' is on PATH: install one of them "
                "(kf runs 'kustomize build' or 'kubectl kustomize')");
  const std::string shown = stdfs::path(args[0]).filename().string() + (tools.kustomize.empty() ? " kustomize " : " build ") + dir.string();
  const proc::Result f = run(args);
  if (f.exit_code != 0)
    throw Error("component " + component + ": " + shown + " failed (exit status " + std::to_string(f.exit_code) + "):\n" +
                str::trim(f.err));
  parse_manifests(f.out, shown, component, out);
  return out;
}

} // namespace kf::platform
