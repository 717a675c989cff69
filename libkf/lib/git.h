#pragma once
// libgit2, opened on first use (loader.h): lib::git().clone(...) for git_clone(...).
#include <git2.h>

#include <memory>

#include "libkf/lib/loader.h"

#define KF_GIT_FUNCTIONS(X)                                                                                          \
  X(libgit2_init) X(libgit2_shutdown) X(error_last) X(error_clear) X(buf_dispose) X(oid_tostr)                       \
  X(repository_open) X(repository_open_ext) X(repository_open_bare) X(repository_discover) X(repository_free)       \
  X(repository_init_ext) X(repository_init_options_init) X(repository_index) X(repository_workdir)                 \
  X(repository_set_head_detached) X(index_add_bypath) X(index_write) X(index_write_tree) X(index_free)              \
  X(tree_lookup) X(tree_free) X(signature_default) X(signature_now) X(signature_free) X(commit_create_v)           \
  X(reference_name_to_id) X(revparse_single) X(object_id) X(object_peel) X(object_free) X(status_list_new)         \
  X(status_list_entrycount) X(status_list_free) X(status_options_init) X(clone) X(clone_options_init)               \
  X(checkout_tree) X(checkout_options_init) X(fetch_options_init) X(remote_lookup) X(remote_fetch) X(remote_url)    \
  X(remote_free)

namespace kf::lib {

struct Git {
#define KF_GIT_FIELD(name) KF_LIB_FIELD(git_, name)
  KF_GIT_FUNCTIONS(KF_GIT_FIELD)
#undef KF_GIT_FIELD
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
