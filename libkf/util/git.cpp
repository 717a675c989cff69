#include "libkf/util/git.h"

#include <git2.h>

#include <memory>

#include "libkf/util/error.h"

namespace kf::git {
namespace {

struct Library {
  Library() { git_libgit2_init(); }
  ~Library() { git_libgit2_shutdown(); }
};

void ensure_init() { static Library lib; }

[[noreturn]] void fail(const std::string& what) {
  const git_error* e = git_error_last();
  throw Error(what + ": " + (e && e->message ? e->message : "unknown libgit2 error"));
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Repo = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using Index = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using Tree = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using Signature = std::unique_ptr<git_signature, Deleter<git_signature, git_signature_free>>;
using Object = std::unique_ptr<git_object, Deleter<git_object, git_object_free>>;
using StatusList = std::unique_ptr<git_status_list, Deleter<git_status_list, git_status_list_free>>;

std::string oid_str(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), &oid);
  return buf;
}

} // namespace

std::optional<std::filesystem::path> find_repository(const std::filesystem::path& dir) {
  ensure_init();
  git_buf buf = GIT_BUF_INIT;
  if (git_repository_discover(&buf, dir.c_str(), 0, nullptr) != 0) {
    git_error_clear();
    return std::nullopt;
  }
  std::string gitdir(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  git_repository* raw = nullptr;
  if (git_repository_open(&raw, gitdir.c_str()) != 0) {
    git_error_clear();
    return std::nullopt;
  }
  Repo repo(raw);
  const char* wd = git_repository_workdir(repo.get());
  if (!wd) return std::nullopt;
  return std::filesystem::path(wd);
}

void clone(const std::string& url, const std::string& ref, const std::filesystem::path& dest) {
  ensure_init();
  git_repository* raw = nullptr;
  git_clone_options opts;
  git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
  if (git_clone(&raw, url.c_str(), dest.c_str(), &opts) != 0) fail("cannot clone " + url);
  Repo repo(raw);
  if (ref.empty()) return;
  git_object* obj = nullptr;
  const std::string candidates[] = {"origin/" + ref, ref, "refs/tags/" + ref};
  for (const auto& c : candidates) {
    if (git_revparse_single(&obj, repo.get(), c.c_str()) == 0) break;
    git_error_clear();
    obj = nullptr;
  }
  if (!obj) throw Error("cannot check out " + ref + " of " + url + ": no such branch, tag or commit");
  Object target(obj);
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (git_checkout_tree(repo.get(), target.get(), &co) != 0) fail("cannot check out " + ref);
  if (git_repository_set_head_detached(repo.get(), git_object_id(target.get())) != 0) fail("cannot check out " + ref);
}

std::string init_and_commit(const std::filesystem::path& dir, const std::vector<std::string>& paths,
                            const std::string& message) {
  ensure_init();
  git_repository* raw = nullptr;
  git_repository_init_options init;
  git_repository_init_options_init(&init, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
  init.initial_head = "main";
  init.flags |= GIT_REPOSITORY_INIT_MKPATH;
  if (git_repository_init_ext(&raw, dir.c_str(), &init) != 0) fail("cannot initialise a git repository in " + dir.string());
  Repo repo(raw);
  git_index* idx_raw = nullptr;
  if (git_repository_index(&idx_raw, repo.get()) != 0) fail("cannot open the git index");
  Index index(idx_raw);
  for (const auto& p : paths)
    if (git_index_add_bypath(index.get(), p.c_str()) != 0) fail("cannot stage " + p);
  if (git_index_write(index.get()) != 0) fail("cannot write the git index");
  git_oid tree_id;
  if (git_index_write_tree(&tree_id, index.get()) != 0) fail("cannot write the git tree");
  git_tree* tree_raw = nullptr;
  if (git_tree_lookup(&tree_raw, repo.get(), &tree_id) != 0) fail("cannot read the git tree");
  Tree tree(tree_raw);
  git_signature* sig_raw = nullptr;
  if (git_signature_default(&sig_raw, repo.get()) != 0) {
    git_error_clear();
    if (git_signature_now(&sig_raw, "kf", "kf@localhost") != 0) fail("cannot make a git signature");
  }
  Signature sig(sig_raw);
  git_oid commit_id;
  if (git_commit_create_v(&commit_id, repo.get(), "HEAD", sig.get(), sig.get(), nullptr, message.c_str(), tree.get(), 0) != 0)
    fail("cannot commit");
  return oid_str(commit_id);
}

std::optional<Head> head(const std::filesystem::path& dir) {
  ensure_init();
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), 0, nullptr) != 0) {
    git_error_clear();
    return std::nullopt;
  }
  Repo repo(raw);
  Head h;
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo.get(), "HEAD") == 0) h.commit = oid_str(oid);
  git_error_clear();
  git_status_options so;
  git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
  so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
  git_status_list* list_raw = nullptr;
  if (git_status_list_new(&list_raw, repo.get(), &so) == 0) {
    StatusList list(list_raw);
    h.dirty = git_status_list_entrycount(list.get()) > 0;
  }
  return h;
}

} // namespace kf::git
