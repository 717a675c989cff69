// The four tables of loader.h, each filled on first use. KF_SONAME_* come
// from cmake/dependencies.cmake: the SONAMEs of the libraries kf was built
// against.
#include "libkf/lib/crypto.h"
#include "libkf/lib/curl.h"
#include "libkf/lib/git.h"
#include "libkf/lib/sqlite.h"

namespace kf::lib {

const Curl& curl() {
  static const Curl table = [] {
    Curl t;
    void* h = open(KF_SONAME_CURL);
#define KF_CURL_LOAD(name) KF_LIB_LOAD(t, h, KF_SONAME_CURL, curl_, name)
    KF_CURL_FUNCTIONS(KF_CURL_LOAD)
#undef KF_CURL_LOAD
    return t;
  }();
  return table;
}

namespace {

Git load_git() {
  Git t;
  void* h = open(KF_SONAME_GIT2);
#define KF_GIT_LOAD(name) KF_LIB_LOAD(t, h, KF_SONAME_GIT2, git_, name)
  KF_GIT_FUNCTIONS(KF_GIT_LOAD)
#undef KF_GIT_LOAD
  return t;
}

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
  static const Sqlite table = [] {
    Sqlite t;
    void* h = open(KF_SONAME_SQLITE3);
#define KF_SQLITE_LOAD(name) KF_LIB_LOAD(t, h, KF_SONAME_SQLITE3, sqlite3_, name)
    KF_SQLITE_FUNCTIONS(KF_SQLITE_LOAD)
#undef KF_SQLITE_LOAD
    return t;
  }();
  return table;
}

const Crypto& crypto() {
  static const Crypto table = [] {
    Crypto t;
    void* h = open(KF_SONAME_CRYPTO);
#define KF_CRYPTO_LOAD(name) KF_LIB_LOAD(t, h, KF_SONAME_CRYPTO, EVP_, name)
    KF_CRYPTO_FUNCTIONS(KF_CRYPTO_LOAD)
#undef KF_CRYPTO_LOAD
    return t;
  }();
  return table;
}

} // namespace kf::lib
