#pragma once
// Where a platform component's manifests come from, and getting them onto
// this machine.
//
// origin() decides, from the index entry and kf.yaml's spec.platform.source:
//   - no source: the index's git repository at the selected ref, and the
//     index's path inside it;
//   - a git source (a URL with a scheme such as https:// or file://, an
//     scp-like user@host:path, a path ending in .git, or anything with a
//     #REF fragment): that repository at the selected ref, and the directory
//     named after the component at its root (<repo>/<component>);
//   - otherwise a local directory, read as it is (no ref):
//     <source>/<component>, relative to the project directory.
//
// fetch() clones with libgit2 into a cache shared by every project:
//   <cache>/<name>-<hash of URL>/repo.git       a bare clone, fetched again only
//                                                when a ref is missing or is a branch
//   <cache>/<name>-<hash of URL>/trees/<commit>  one checkout per commit, reused
// <cache> is $XDG_CACHE_HOME/kf/sources (default ~/.cache/kf/sources). Both
// are filled in a temporary directory and renamed into place, so concurrent
// kf processes see a complete tree or none. Not thread-safe within a process.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "libkf/platform/index.h"

namespace kf::platform {

struct Origin {
  std::string git;                 // repository URL; "" = a local directory
  std::string ref;                 // branch, tag or commit (git only)
  std::filesystem::path path;      // inside the repository, or the local directory
};

bool is_git_source(std::string_view source);
// "URL#REF" -> {URL, REF}; no fragment -> {URL, ""}.
std::pair<std::string, std::string> split_ref(const std::string& source);

Origin origin(const Selected& selected, const std::string& source, const std::filesystem::path& project_dir);

std::filesystem::path default_cache_dir();

struct FetchOptions {
  std::filesystem::path cache_dir = default_cache_dir();
  std::function<void(std::string_view)> debug; // "cloning URL", "fetching URL"; may be empty
};

// The directory holding `ref` of `url`, checked out. Throws kf::Error
// "cannot fetch URL: reason" or "cannot check out REF of URL: no such branch, tag or commit".
std::filesystem::path fetch(const std::string& url, const std::string& ref, const FetchOptions& options);

} // namespace kf::platform
