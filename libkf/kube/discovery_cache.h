#pragma once
// DiscoveryCache: what an API server serves per group-version, kept on disk
// between runs like kubectl's ~/.kube/cache/discovery:
//   <root>/<host_port>/v1/serverresources.json          (the core group)
//   <root>/<host_port>/<group>/<version>/serverresources.json
// Each file is an APIResourceList holding only name, kind and namespaced
// per resource — never a credential (the directory name drops a URL's user
// info). A file older than the TTL (its mtime; kubectl also uses 6 hours)
// is a miss; so is a missing or malformed one. Files are written
// atomically (util/fs.h), so concurrent kf processes never read a torn one.
// The RestClient reads it on first use of a group-version and writes what
// the server answered; a kind missing from it asks the server again (a CRD
// may have just been added). Thread-safe (no state besides the files).

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libkf/kube/client.h"

namespace kf::kube {

inline constexpr std::chrono::hours k_discovery_ttl{6};

class DiscoveryCache {
public:
  using Clock = std::function<std::filesystem::file_time_type()>;
  // root "" = disabled (load misses, store does nothing).
  DiscoveryCache(const std::filesystem::path& root, const std::string& server, std::chrono::seconds ttl = k_discovery_ttl,
                 Clock now = std::filesystem::file_time_type::clock::now);
  // <root>/<host_port>, or "" when disabled.
  const std::filesystem::path& dir() const { return m_dir; }
  // The resources of `group_version` ("v1", "apps/v1"), or nullopt (missing, stale, unreadable).
  std::optional<std::vector<ResourceInfo>> load(const std::string& group_version) const;
  // Throws kf::Error when the file cannot be written.
  void store(const std::string& group_version, const std::vector<ResourceInfo>& resources) const;
  // The file for a group-version; "" when the cache is disabled or the name is not a safe path.
  std::filesystem::path file(const std::string& group_version) const;

private:
  std::filesystem::path m_dir;
  std::chrono::seconds m_ttl;
  Clock m_now;
};

// "https://user:pw@10.0.0.1:6443/k8s" -> "10.0.0.1_6443_k8s" (kubectl's naming, minus the user info).
std::string discovery_cache_name(const std::string& server);

// $XDG_CACHE_HOME/kf/discovery, else $HOME/.cache/kf/discovery, else "" (no
// disk cache). nullopt arguments are read from the environment.
std::filesystem::path default_discovery_cache_dir(std::optional<std::string> xdg_cache_home = std::nullopt,
                                                  std::optional<std::string> home = std::nullopt);

} // namespace kf::kube
