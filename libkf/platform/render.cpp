#include "libkf/platform/render.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

extern char** environ;

namespace kf::platform {

namespace stdfs = std::filesystem;

namespace {

struct Finished {
  int status = 0; // exit status; 128+N for signal N
  std::string out, err;
};

// Runs argv[0] (a path) with stdout and stderr in files, then reads them.
Finished run(const std::vector<std::string>& args) {
  const auto tmp = fs::make_temp_dir(stdfs::temp_directory_path(), "kf-render");
  fs::TempDirGuard guard(tmp);
  const std::string out_path = (tmp / "stdout").string(), err_path = (tmp / "stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw Error("cannot run " + args[0] + ": " + std::strerror(rc));
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  Finished f;
  f.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  f.out = fs::read_file(out_path);
  f.err = fs::read_file(err_path);
  return f;
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
  const Finished f = run(args);
  if (f.status != 0)
    throw Error("component " + component + ": " + shown + " failed (exit status " + std::to_string(f.status) + "):\n" +
                str::trim(f.err));
  parse_manifests(f.out, shown, component, out);
  return out;
}

} // namespace kf::platform
