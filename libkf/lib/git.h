#pragma once
// libgit2, opened on first use (loader.h): lib::git().clone(...) for git_clone(...).
#include <git2.h>

#include <memory>

#include "libkf/lib/loader.h"

#define KF_GIT_FUNCTIONS(X, P)                                                                                        \
  X(P, libgit2_init) X(P, libgit2_shutdown) X(P, error_last) X(P, error_clear) X(P, buf_dispose)                      \
  X(P, oid_tostr) X(P, repository_open) X(P, repository_open_ext) X(P, repository_open_bare)                          \
  X(P, repository_discover) X(P, repository_free) X(P, repository_init_ext)                                           \
  X(P, repository_init_options_init) X(P, repository_index) X(P, repository_workdir)                                  \
  X(P, repository_set_head_detached) X(P, index_add_bypath) X(P, index_write) X(P, index_write_tree)                  \
  X(P, index_free) X(P, tree_lookup) X(P, tree_free) X(P, signature_default) X(P, signature_now)                      \
  X(P, signature_free) X(P, commit_create_v) X(P, reference_name_to_id) X(P, revparse_single) X(P, object_id)         \
  X(P, object_peel) X(P, object_free) X(P, status_list_new) X(P, status_list_entrycount)                              \
  X(P, status_list_free) X(P, status_options_init) X(P, clone) X(P, clone_options_init) X(P, checkout_tree)           \
  X(P, checkout_options_init) X(P, fetch_options_init) X(P, remote_lookup) X(P, remote_fetch)                         \
  X(P, remote_url) X(P, remote_free)

namespace kf::lib {

struct Git {
  KF_GIT_FUNCTIONS(KF_LIB_FIELD, git_)
};

// The table, with libgit2 initialised (git_libgit2_init) on first use and
// shut down when the process exits.
const Git& git();

// libgit2 objects owned by std::unique_ptr and freed through the table:
//   lib::GitPtr<git_repository, &lib::Git::repository_free> repo;
template <typename T, auto Free>
struct GitFree {
  void operator()(T* p) const { (git().*Free)(p); }
};
template <typename T, auto Free>
using GitPtr = std::unique_ptr<T, GitFree<T, Free>>;

} // namespace kf::lib
