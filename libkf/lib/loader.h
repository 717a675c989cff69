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

// Declares `decltype(&PREFIX##name) name;` for each name of a table.
#define KF_LIB_FIELD(prefix, name) decltype(&::prefix##name) name;
#define KF_LIB_LOAD(table, handle, soname, prefix, name) \
  table.name = ::kf::lib::function<decltype(table.name)>(handle, soname, #prefix #name);
