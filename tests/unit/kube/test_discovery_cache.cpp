#include <doctest/doctest.h>

#include <filesystem>

#include "libkf/kube/discovery_cache.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::vector<kube::ResourceInfo> k_apps = {{"apps", "v1", "deployments", "Deployment", true},
                                                {"apps", "v1", "statefulsets", "StatefulSet", true}};

bool same(const std::vector<kube::ResourceInfo>& a, const std::vector<kube::ResourceInfo>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].group != b[i].group || a[i].version != b[i].version || a[i].resource != b[i].resource ||
        a[i].kind != b[i].kind || a[i].namespaced != b[i].namespaced)
      return false;
  return true;
}

} // namespace

TEST_CASE("discovery cache: one directory per server, kubectl's layout") {
  CHECK(kube::discovery_cache_name("https://10.0.0.1:6443") == "10.0.0.1_6443");
  CHECK(kube::discovery_cache_name("http://127.0.0.1:41235/") == "127.0.0.1_41235");
  CHECK(kube::discovery_cache_name("https://bob:pw@kube.example.com/k8s/c-1") == "kube.example.com_k8s_c-1");
  test::TempDir tmp;
  const kube::DiscoveryCache cache(tmp.path, "https://10.0.0.1:6443");
  CHECK(cache.dir() == tmp.path / "10.0.0.1_6443");
  CHECK(cache.file("v1") == tmp.path / "10.0.0.1_6443/v1/serverresources.json");
  CHECK(cache.file("apps/v1") == tmp.path / "10.0.0.1_6443/apps/v1/serverresources.json");
  CHECK(cache.file("../v1").empty());
  CHECK(cache.file("a/b/c").empty());
  CHECK(kube::DiscoveryCache("", "https://x").file("v1").empty());
}

TEST_CASE("discovery cache: a round trip, the TTL, and a damaged file") {
  test::TempDir tmp;
  auto now = stdfs::file_time_type::clock::now();
  const kube::DiscoveryCache cache(tmp.path, "https://10.0.0.1:6443", 6h, [&] { return now; });
  CHECK_FALSE(cache.load("apps/v1"));
  cache.store("apps/v1", k_apps);
  const stdfs::path file = cache.file("apps/v1");
  stdfs::last_write_time(file, now);
  REQUIRE(cache.load("apps/v1"));
  CHECK(same(*cache.load("apps/v1"), k_apps));
  CHECK_FALSE(cache.load("v1")); // another group-version

  now += 5h + 59min;
  CHECK(cache.load("apps/v1"));
  now += 2min; // older than 6 hours
  CHECK_FALSE(cache.load("apps/v1"));

  now = stdfs::last_write_time(file);
  fs::write_file_atomic(file, "{not json");
  stdfs::last_write_time(file, now);
  CHECK_FALSE(cache.load("apps/v1"));
  fs::write_file_atomic(file, R"({"kind":"APIResourceList","groupVersion":"batch/v1","resources":[]})");
  stdfs::last_write_time(file, now);
  CHECK_FALSE(cache.load("apps/v1")); // another group-version's list
}

TEST_CASE("discovery cache: the file holds names, kinds and scopes only") {
  test::TempDir tmp;
  const kube::DiscoveryCache cache(tmp.path, "https://admin:hunter2@10.0.0.1:6443");
  cache.store("v1", {{"", "v1", "configmaps", "ConfigMap", true}, {"", "v1", "namespaces", "Namespace", false}});
  CHECK(fs::read_file(cache.file("v1")) ==
        R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[)"
        R"({"name":"configmaps","kind":"ConfigMap","namespaced":true},{"name":"namespaces","kind":"Namespace","namespaced":false}]})"
        "\n");
  CHECK(cache.dir().string().find("hunter2") == std::string::npos);
  CHECK((stdfs::status(cache.file("v1")).permissions() & stdfs::perms::others_all) == stdfs::perms::none);
}

TEST_CASE("discovery cache: an unwritable root is an error naming the directory") {
  test::TempDir tmp;
  tmp.write("root", "a file, not a directory");
  const kube::DiscoveryCache cache(tmp.path / "root", "https://h:1");
  CHECK_THROWS_WITH_AS(cache.store("v1", {}), ("cannot create " + (tmp.path / "root/h_1/v1").string() + ": Not a directory").c_str(),
                       Error);
}

TEST_CASE("discovery cache: the default directory") {
  CHECK(kube::default_discovery_cache_dir("/xdg", "/home/u") == "/xdg/kf/discovery");
  CHECK(kube::default_discovery_cache_dir("", "/home/u") == "/home/u/.cache/kf/discovery");
  CHECK(kube::default_discovery_cache_dir("relative", "/home/u") == "/home/u/.cache/kf/discovery"); // XDG paths must be absolute
  CHECK(kube::default_discovery_cache_dir("", "").empty());
}
