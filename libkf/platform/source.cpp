#include "libkf/platform/source.h"

#include "libkf/lib/git.h"

#include <cstdlib>
#include <memory>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/sha256.h"
#include "libkf/util/strings.h"

namespace kf::platform {

namespace stdfs = std::filesystem;

namespace {

using Repo = lib::GitPtr<git_repository, &lib::Git::repository_free>;
using Remote = lib::GitPtr<git_remote, &lib::Git::remote_free>;
using Object = lib::GitPtr<git_object, &lib::Git::object_free>;

std::string last_error() {
  const git_error* e = lib::git().error_last();
  std::string s = e && e->message ? e->message : "unknown libgit2 error";
  lib::git().error_clear();
  return s;
}

// "kubeflow-katib" style name for the cache directory: the URL's last two path segments.
std::string slug(const std::string& url) {
  std::string s = url;
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.size() > 4 && s.compare(s.size() - 4, 4, ".git") == 0) s.resize(s.size() - 4);
  const auto parts = str::split(s, '/');
  std::string name = parts.size() >= 2 ? parts[parts.size() - 2] + "-" + parts.back() : s;
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return name;
}

bool is_hex_commit(const std::string& ref) {
  if (ref.size() < 7 || ref.size() > 40) return false;
  for (const char c : ref)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The commit `ref` names: a tag, a branch of origin, a local branch or a commit id.
Object resolve(git_repository* repo, const std::string& ref, bool* pinned) {
  const std::string candidates[] = {"refs/tags/" + ref, "refs/remotes/origin/" + ref, "refs/heads/" + ref, ref};
  for (std::size_t i = 0; i < 4; ++i) {
    git_object* obj = nullptr;
    if (lib::git().revparse_single(&obj, repo, candidates[i].c_str()) != 0) {
      lib::git().error_clear();
      continue;
    }
    Object found(obj);
    git_object* commit = nullptr;
    if (lib::git().object_peel(&commit, found.get(), GIT_OBJECT_COMMIT) != 0) {
      lib::git().error_clear();
      continue;
    }
    if (pinned) *pinned = i == 0 || (i == 3 && is_hex_commit(ref));
    return Object(commit);
  }
  return nullptr;
}

Repo clone_bare(const std::string& url, const stdfs::path& dest, const FetchOptions& o) {
  if (o.debug) o.debug("cloning " + url + " into " + dest.string());
  const auto tmp = fs::make_temp_dir(dest.parent_path(), "repo");
  fs::TempDirGuard guard(tmp);
  git_clone_options opts;
  lib::git().clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
  opts.bare = 1;
  opts.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
  git_repository* raw = nullptr;
  if (lib::git().clone(&raw, url.c_str(), tmp.c_str(), &opts) != 0) throw Error("cannot fetch " + url + ": " + last_error());
  lib::git().repository_free(raw);
  std::error_code ec;
  stdfs::rename(tmp, dest, ec); // another kf may have won the race: use its clone
  if (!ec) guard.release();
  git_repository* repo = nullptr;
  if (lib::git().repository_open_bare(&repo, dest.c_str()) != 0) throw Error("cannot open " + dest.string() + ": " + last_error());
  return Repo(repo);
}

void fetch_origin(git_repository* repo, const std::string& url, const FetchOptions& o) {
  if (o.debug) o.debug("fetching " + url);
  git_remote* raw = nullptr;
  if (lib::git().remote_lookup(&raw, repo, "origin") != 0) throw Error("cannot fetch " + url + ": " + last_error());
  Remote remote(raw);
  git_fetch_options fo;
  lib::git().fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
  fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
  fo.prune = GIT_FETCH_PRUNE;
  if (lib::git().remote_fetch(remote.get(), nullptr, &fo, nullptr) != 0) throw Error("cannot fetch " + url + ": " + last_error());
}

stdfs::path check_out(git_repository* repo, const git_object* commit, const stdfs::path& trees) {
  char hex[GIT_OID_HEXSZ + 1];
  lib::git().oid_tostr(hex, sizeof hex, lib::git().object_id(commit));
  const stdfs::path dest = trees / hex;
  std::error_code ec;
  if (stdfs::is_directory(dest, ec)) return dest;
  stdfs::create_directories(trees);
  const auto tmp = fs::make_temp_dir(trees, "tree");
  fs::TempDirGuard guard(tmp);
  git_checkout_options co;
  lib::git().checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DONT_WRITE_INDEX;
  const std::string target = tmp.string();
  co.target_directory = target.c_str();
  if (lib::git().checkout_tree(repo, commit, &co) != 0) throw Error("cannot check out " + std::string(hex) + ": " + last_error());
  stdfs::rename(tmp, dest, ec);
  if (!ec) guard.release();
  return dest;
}

} // namespace

bool is_git_source(std::string_view source) {
  if (source.find("://") != std::string_view::npos || source.find('#') != std::string_view::npos) return true;
  if (source.size() > 4 && source.substr(source.size() - 4) == ".git") return true;
  const auto at = source.find('@'), colon = source.find(':');
  return at != std::string_view::npos && colon != std::string_view::npos && at < colon && source.find('/') > colon;
}

std::pair<std::string, std::string> split_ref(const std::string& source) {
  const auto hash = source.rfind('#');
  if (hash == std::string::npos) return {source, ""};
  return {source.substr(0, hash), source.substr(hash + 1)};
}

Origin origin(const Selected& selected, const std::string& source, const stdfs::path& project_dir) {
  const Component& c = selected.component;
  if (source.empty()) return Origin{c.git, selected.ref, c.path};
  if (is_git_source(source)) return Origin{split_ref(source).first, selected.ref, c.name};
  const stdfs::path dir = stdfs::path(source).is_absolute() ? stdfs::path(source) : project_dir / source;
  return Origin{"", "", dir / c.name};
}

stdfs::path default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return stdfs::path(xdg) / "kf" / "sources";
  const char* home = std::getenv("HOME");
  return stdfs::path(home && *home ? home : "/tmp") / ".cache" / "kf" / "sources";
}

stdfs::path fetch(const std::string& url, const std::string& ref, const FetchOptions& options) {
  Sha256 h;
  h.update(url);
  const stdfs::path base = options.cache_dir / (slug(url) + "-" + h.hex().substr(0, 12));
  std::error_code ec;
  stdfs::create_directories(base, ec);
  if (ec) throw Error("cannot create the source cache " + base.string() + ": " + ec.message());
  const stdfs::path bare = base / "repo.git";
  Repo repo;
  bool fresh = false;
  if (stdfs::is_directory(bare, ec)) {
    git_repository* raw = nullptr;
    if (lib::git().repository_open_bare(&raw, bare.c_str()) != 0) throw Error("cannot open " + bare.string() + ": " + last_error());
    repo.reset(raw);
  } else {
    repo = clone_bare(url, bare, options);
    fresh = true;
  }
  bool pinned = false;
  Object commit = resolve(repo.get(), ref, &pinned);
  if (!fresh && (!commit || !pinned)) { // a missing ref, or a branch that may have moved
    fetch_origin(repo.get(), url, options);
    commit = resolve(repo.get(), ref, nullptr);
  }
  if (!commit) throw Error("cannot check out " + ref + " of " + url + ": no such branch, tag or commit");
  return check_out(repo.get(), commit.get(), base / "trees");
}

} // namespace kf::platform
