#pragma once
// The few git operations kf needs, through libgit2 (no git executable).
// Every libgit2 failure becomes a kf::Error naming the operation.
// Not thread-safe across concurrent first calls; kf calls it from one thread.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kf::git {

// The work tree root of the repository containing `dir`, if any.
std::optional<std::filesystem::path> find_repository(const std::filesystem::path& dir);

// Clones `url` (a local path, file://, https:// or ssh URL) into `dest`, which
// must not exist, and checks out `ref` (branch, tag or commit) when given.
void clone(const std::string& url, const std::string& ref, const std::filesystem::path& dest);

// Initialises a repository in `dir` (branch "main") and commits `paths`
// (relative to dir). The author is the user's git identity, or "kf <kf@localhost>".
// Returns the new commit's id.
std::string init_and_commit(const std::filesystem::path& dir, const std::vector<std::string>& paths,
                            const std::string& message);

struct Head {
  std::string commit; // full hex id; "" on an unborn branch
  bool dirty = false; // tracked files changed or untracked files present
};
std::optional<Head> head(const std::filesystem::path& dir);

} // namespace kf::git
