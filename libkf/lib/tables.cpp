// The four tables of loader.h, each filled on first use. KF_SONAME_* come
// from cmake/dependencies.cmake: the SONAMEs of the libraries kf was built
// against.
#include "libkf/lib/crypto.h"
#include "libkf/lib/curl.h"
#include "libkf/lib/git.h"
#include "libkf/lib/sqlite.h"

namespace kf::lib {

const Curl& curl() {
  static const Curl table = KF_LIB_TABLE(Curl, KF_CURL_FUNCTIONS, curl_, KF_SONAME_CURL);
  return table;
}

namespace {

Git load_git() { return KF_LIB_TABLE(Git, KF_GIT_FUNCTIONS, git_, KF_SONAME_GIT2); }

// libgit2 wants git_libgit2_init before anything else, and one shutdown per init.
struct GitLibrary {
  Git table = load_git();
  GitLibrary() { table.libgit2_init(); }
  ~GitLibrary() { table.libgit2_shutdown(); }
  GitLibrary(const GitLibrary&) = delete;
  GitLibrary& operator=(const GitLibrary&) = delete;
};

} // namespace

const Git& git() {
  static const GitLibrary library;
  return library.table;
}

const Sqlite& sqlite() {
  static const Sqlite table = KF_LIB_TABLE(Sqlite, KF_SQLITE_FUNCTIONS, sqlite3_, KF_SONAME_SQLITE3);
  return table;
}

const Crypto& crypto() {
  static const Crypto table = KF_LIB_TABLE(Crypto, KF_CRYPTO_FUNCTIONS, EVP_, KF_SONAME_CRYPTO);
  return table;
}

} // namespace kf::lib
