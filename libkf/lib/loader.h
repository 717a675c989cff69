#pragma once
// Shared libraries kf opens on first use (dlopen) rather than at start-up.
//
// libcurl, libgit2, SQLite and OpenSSL's libcrypto bring about 35 more
// libraries with them, and most invocations (kf version, render, validate,
// completion) need none of them: linked normally, the dynamic loader would
// map and relocate all of them before main(). Each library has a table of the
// functions kf calls (curl.h, git.h, sqlite.h, crypto.h beside this file),
// typed with the library's own declarations, so every call is checked by the
// compiler as a direct call would be:
//
//   lib::curl().easy_perform(handle)        // curl_easy_perform(handle)
//
// The table is filled once, on first use, thread-safely. A library or symbol
// that cannot be found throws kf::Error naming it.

#include <cstring>

namespace kf::lib {

// dlopen(soname) with RTLD_NOW | RTLD_GLOBAL, once per call site's table.
void* open(const char* soname);
// dlsym; throws kf::Error when `name` is not in the library.
void* symbol(void* handle, const char* soname, const char* name);

template <typename Fn>
Fn function(void* handle, const char* soname, const char* name) {
  static_assert(sizeof(Fn) == sizeof(void*));
  void* p = symbol(handle, soname, name);
  Fn fn;
  std::memcpy(&fn, &p, sizeof fn); // object to function pointer, as POSIX allows
  return fn;
}

} // namespace kf::lib

// A library's table is its X-macro list, KF_<LIB>_FUNCTIONS(X, P), of the
// function names without their prefix P. In the table struct
// KF_<LIB>_FUNCTIONS(KF_LIB_FIELD, prefix) declares `decltype(&prefix##name) name;`
// for each; KF_LIB_TABLE(Type, KF_<LIB>_FUNCTIONS, prefix, soname) is the
// filled table (tables.cpp).
#define KF_LIB_FIELD(prefix, name) decltype(&::prefix##name) name;
#define KF_LIB_LOAD(prefix, name) t.name = ::kf::lib::function<decltype(t.name)>(h, soname, #prefix #name);
#define KF_LIB_TABLE(Type, FUNCTIONS, prefix, soname_value)                                                           \
  [] {                                                                                                                 \
    Type t;                                                                                                            \
    const char* soname = soname_value;                                                                                 \
    void* h = ::kf::lib::open(soname);                                                                                 \
    FUNCTIONS(KF_LIB_LOAD, prefix)                                                                                     \
    return t;                                                                                                          \
  }()
