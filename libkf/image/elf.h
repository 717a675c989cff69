#pragma once
// Which shared libraries a program needs, found the way the dynamic loader
// (glibc's ld.so) finds them — without running anything.
//
// The choice: kf reads the ELF file itself (PT_INTERP, DT_NEEDED, DT_RPATH,
// DT_RUNPATH from the dynamic section) and resolves each needed soname in the
// loader's order: DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH,
// /etc/ld.so.cache (parsed: glibc's "glibc-ld.so.cache1.1" format), then the
// default directories. LD_LIBRARY_PATH is ignored on purpose: the image must
// not depend on the build shell's environment. `ld.so --list` would give the
// same answer but runs the program's loader on the build machine, which fails
// for a binary of another architecture and executes code from it; parsing is
// also what lets the tests pin the resolution with fake trees.
// Candidates must match the program's ELF class and machine, as the loader
// checks. Thread-safe (no shared state).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kf::image {

struct ElfInfo {
  bool is64 = true;
  std::uint16_t machine = 0;            // EM_X86_64 = 62, EM_AARCH64 = 183
  std::string interp;                   // PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; "" = static
  std::string soname;                   // DT_SONAME ("" for programs)
  std::vector<std::string> needed;      // DT_NEEDED, in order
  std::vector<std::string> rpath, runpath; // split at ':', $ORIGIN not yet expanded
};

// Throws kf::Error "PATH: not an ELF file" (or "… truncated/corrupt ELF: …").
ElfInfo read_elf(const std::filesystem::path& path);

// The OCI platform architecture of an ELF machine ("amd64", "arm64", ...).
std::string oci_architecture(std::uint16_t machine);

// /etc/ld.so.cache: soname -> paths, for libraries of the given class/machine.
struct LdCacheEntry {
  std::string soname, path;
  std::uint32_t flags = 0;
};
// Empty when the file does not exist; throws kf::Error for a malformed cache.
std::vector<LdCacheEntry> read_ld_cache(const std::filesystem::path& path);

struct LibrarySearch {
  std::filesystem::path root = "/";                 // resolve inside this tree (tests use a fake one)
  std::filesystem::path cache = "/etc/ld.so.cache"; // relative to root when absolute
  // glibc's trusted directories (ld.so --help, "system search path").
  std::vector<std::string> default_dirs = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                                           "/lib", "/usr/lib"};
  // Sonames that come from elsewhere (a base image, the GPU driver): reported
  // with an empty path, neither looked for on this machine nor descended into.
  std::function<bool(const std::string& soname)> provided;
};

struct ResolvedLibrary {
  std::string soname;                // as DT_NEEDED names it
  std::filesystem::path path;        // where it was found (absolute, under root); "" = provided
  std::string needed_by;             // the first file that needed it
};

// Every library `program` needs, transitively, each once, in breadth-first
// order. Throws kf::Error "cannot find libfoo.so.1 (needed by X): not in
// RUNPATH, /etc/ld.so.cache or the default directories" when one is missing.
std::vector<ResolvedLibrary> resolve_libraries(const std::filesystem::path& program, const LibrarySearch& search = {});

} // namespace kf::image
