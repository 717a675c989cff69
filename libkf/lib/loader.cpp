#include "libkf/lib/loader.h"

#include <dlfcn.h>

#include <string>

#include "libkf/util/error.h"

namespace kf::lib {

void* open(const char* soname) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_GLOBAL);
  if (!handle) {
    const char* why = ::dlerror();
    throw Error(std::string("cannot load ") + soname + " (" + (why ? why : "not found") +
                "): install it with scripts/install-deps.sh or your package manager");
  }
  return handle;
}

void* symbol(void* handle, const char* soname, const char* name) {
  void* p = ::dlsym(handle, name);
  if (!p) throw Error(std::string(soname) + " has no " + name + ": kf was built against another version of it");
  return p;
}

} // namespace kf::lib
