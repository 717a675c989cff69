#include "libkf/util/git.h"

#include "libkf/lib/git.h"

#include <memory>

#include "libkf/util/error.h"

namespace kf::git {
namespace {

[[noreturn]] void fail(const std::string& what) {
  const git_error* e = lib::git().error_last();
  throw Error(what + ": " + (e && e->message ? e->message : "unknown libgit2 error"));
}

using Repo = lib::GitPtr<git_repository, &lib::Git::repository_free>;
using Index = lib::GitPtr<git_index, &lib::Git::index_free>;
using Tree = lib::GitPtr<git_tree, &lib::Git::tree_free>;
using Signature = lib::GitPtr<git_signature, &lib::Git::signature_free>;
using Object = lib::GitPtr<git_object, &lib::Git::object_free>;
using StatusList = lib::GitPtr<git_status_list, &lib::Git::status_list_free>;

std::string oid_str(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  lib::git().oid_tostr(buf, sizeof(buf), &oid);
  return buf;
}

} // namespace

std::optional<std::filesystem::path> find_repository(const std::filesystem::path& dir) {
  git_buf buf = GIT_BUF_INIT;
  if (lib::git().repository_discover(&buf, dir.c_str(), 0, nullptr) != 0) {
    lib::git().error_clear();
    return std::nullopt;
  }
  std::string gitdir(buf.ptr, buf.size);
  lib::git().buf_dispose(&buf);
  git_repository* raw = nullptr;
  if (lib::git().repository_open(&raw, gitdir.c_str()) != 0) {
    lib::git().error_clear();
    return std::nullopt;
  }
  Repo repo(raw);
  const char* wd = lib::git().repository_workdir(repo.get());
  if (!wd) return std::nullopt;
  return std::filesystem::path(wd);
}

void clone(const std::string& url, const std::string& ref, const std::filesystem::path& dest) {
  git_repository* raw = nullptr;
  git_clone_options opts;
  lib::git().clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
  if (lib::git().clone(&raw, url.c_str(), dest.c_str(), &opts) != 0) fail("cannot clone " + url);
  Repo repo(raw);
  if (ref.empty()) return;
  git_object* obj = nullptr;
  const std::string candidates[] = {"origin/" + ref, ref, "refs/tags/" + ref};
  for (const auto& c : candidates) {
    if (lib::git().revparse_single(&obj, repo.get(), c.c_str()) == 0) break;
    lib::git().error_clear();
    obj = nullptr;
  }
  if (!obj) throw Error("cannot check out " + ref + " of " + url + ": no such branch, tag or commit");
  Object target(obj);
  git_checkout_options co;
  lib::git().checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (lib::git().checkout_tree(repo.get(), target.get(), &co) != 0) fail("cannot check out " + ref);
  if (lib::git().repository_set_head_detached(repo.get(), lib::git().object_id(target.get())) != 0) fail("cannot check out " + ref);
}

std::string init_and_commit(const std::filesystem::path& dir, const std::vector<std::string>& paths,
                            const std::string& message) {
  git_repository* raw = nullptr;
  git_repository_init_options init;
  lib::git().repository_init_options_init(&init, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
  init.initial_head = "main";
  init.flags |= GIT_REPOSITORY_INIT_MKPATH;
  if (lib::git().repository_init_ext(&raw, dir.c_str(), &init) != 0) fail("cannot initialise a git repository in " + dir.string());
  Repo repo(raw);
  git_index* idx_raw = nullptr;
  if (lib::git().repository_index(&idx_raw, repo.get()) != 0) fail("cannot open the git index");
  Index index(idx_raw);
  for (const auto& p : paths)
    if (lib::git().index_add_bypath(index.get(), p.c_str()) != 0) fail("cannot stage " + p);
  if (lib::git().index_write(index.get()) != 0) fail("cannot write the git index");
  git_oid tree_id;
  if (lib::git().index_write_tree(&tree_id, index.get()) != 0) fail("cannot write the git tree");
  git_tree* tree_raw = nullptr;
  if (lib::git().tree_lookup(&tree_raw, repo.get(), &tree_id) != 0) fail("cannot read the git tree");
  Tree tree(tree_raw);
  git_signature* sig_raw = nullptr;
  if (lib::git().signature_default(&sig_raw, repo.get()) != 0) {
    lib::git().error_clear();
    if (lib::git().signature_now(&sig_raw, "kf", "kf@localhost") != 0) fail("cannot make a git signature");
  }
  Signature sig(sig_raw);
  git_oid commit_id;
  if (lib::git().commit_create_v(&commit_id, repo.get(), "HEAD", sig.get(), sig.get(), nullptr, message.c_str(), tree.get(), 0) != 0)
    fail("cannot commit");
  return oid_str(commit_id);
}

std::optional<Head> head(const std::filesystem::path& dir) {
  git_repository* raw = nullptr;
  if (lib::git().repository_open_ext(&raw, dir.c_str(), 0, nullptr) != 0) {
    lib::git().error_clear();
    return std::nullopt;
  }
  Repo repo(raw);
  Head h;
  git_oid oid;
  if (lib::git().reference_name_to_id(&oid, repo.get(), "HEAD") == 0) h.commit = oid_str(oid);
  lib::git().error_clear();
  git_status_options so;
  lib::git().status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
  so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
  git_status_list* list_raw = nullptr;
  if (lib::git().status_list_new(&list_raw, repo.get(), &so) == 0) {
    StatusList list(list_raw);
    h.dirty = lib::git().status_list_entrycount(list.get()) > 0;
  }
  return h;
}

} // namespace kf::git
