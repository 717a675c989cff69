#include "libkf/kube/discovery_cache.h"

#include <cctype>
#include <cstdlib>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json.h"
#include "libkf/util/strings.h"

namespace kf::kube {

namespace stdfs = std::filesystem;

namespace {

// Group names are DNS subdomains and versions DNS labels: nothing else may become a path.
bool safe_group_version(const std::string& gv) {
  const auto parts = str::split(gv, '/');
  if (parts.empty() || parts.size() > 2) return false;
  for (const auto& p : parts) {
    if (p.empty() || p == "." || p == ".." || p.size() > 253) return false;
    for (const unsigned char c : p)
      if (!std::islower(c) && !std::isdigit(c) && c != '-' && c != '.') return false;
  }
  return true;
}

} // namespace

std::string discovery_cache_name(const std::string& server) {
  std::string rest = server;
  if (const auto scheme = rest.find("://"); scheme != std::string::npos) rest = rest.substr(scheme + 3);
  const auto slash = rest.find('/');
  if (const auto at = rest.rfind('@', slash); at != std::string::npos) rest = rest.substr(at + 1);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string out;
  for (const unsigned char c : rest) out += std::isalnum(c) || c == '.' || c == '-' ? static_cast<char>(c) : '_';
  return out;
}

stdfs::path default_discovery_cache_dir(std::optional<std::string> xdg_cache_home, std::optional<std::string> home) {
  auto env = [](const std::optional<std::string>& given, const char* name) -> std::string {
    if (given) return *given;
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  const std::string xdg = env(xdg_cache_home, "XDG_CACHE_HOME");
  if (!xdg.empty() && stdfs::path(xdg).is_absolute()) return stdfs::path(xdg) / "kf" / "discovery";
  const std::string h = env(home, "HOME");
  if (!h.empty()) return stdfs::path(h) / ".cache" / "kf" / "discovery";
  return {};
}

DiscoveryCache::DiscoveryCache(const stdfs::path& root, const std::string& server, std::chrono::seconds ttl, Clock now)
    : m_dir(root.empty() ? stdfs::path() : root / discovery_cache_name(server)), m_ttl(ttl), m_now(std::move(now)) {}

stdfs::path DiscoveryCache::file(const std::string& group_version) const {
  if (m_dir.empty() || !safe_group_version(group_version)) return {};
  return m_dir / group_version / "serverresources.json";
}

std::optional<std::vector<ResourceInfo>> DiscoveryCache::load(const std::string& gv) const {
  const stdfs::path path = file(gv);
  std::error_code ec;
  if (path.empty()) return std::nullopt;
  const auto mtime = stdfs::last_write_time(path, ec);
  if (ec || m_now() - mtime > m_ttl) return std::nullopt;
  try {
    const Json doc = json::parse(fs::read_file(path));
    if (doc.value("kind", "") != "APIResourceList" || doc.value("groupVersion", "") != gv) return std::nullopt;
    const auto slash = gv.find('/');
    std::vector<ResourceInfo> out;
    for (const auto& r : doc.at("resources"))
      out.push_back(ResourceInfo{slash == std::string::npos ? "" : gv.substr(0, slash),
                                 slash == std::string::npos ? gv : gv.substr(slash + 1), r.at("name").get<std::string>(),
                                 r.at("kind").get<std::string>(), r.at("namespaced").get<bool>()});
    return out;
  } catch (const Json::exception&) {
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
}

void DiscoveryCache::store(const std::string& gv, const std::vector<ResourceInfo>& resources) const {
  const stdfs::path path = file(gv);
  if (path.empty()) return;
  Json list = Json::array();
  for (const auto& r : resources) list.push_back({{"name", r.resource}, {"kind", r.kind}, {"namespaced", r.namespaced}});
  const Json doc = {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", list}};
  std::error_code ec;
  stdfs::create_directories(path.parent_path(), ec);
  if (ec) throw Error("cannot create " + path.parent_path().string() + ": " + ec.message());
  fs::write_file_atomic(path, doc.dump() + "\n", stdfs::perms::owner_read | stdfs::perms::owner_write | stdfs::perms::group_read);
}

} // namespace kf::kube
