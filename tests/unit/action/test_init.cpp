#include <doctest/doctest.h>

#include <filesystem>

#include "libkf/action/init.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/git.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
namespace stdfs = std::filesystem;

using test::TempDir;

TEST_CASE("init scaffolds three files and a first commit") {
  TempDir tmp;
  action::NullReporter reporter;
  action::InitOptions opts;
  opts.dir = tmp.path / "mnist";
  const auto r = action::init(action::Context{reporter}, opts);
  CHECK(r.name == "mnist");
  CHECK(r.files == std::vector<std::string>{".gitignore", "README.md", "kf.yaml"});
  CHECK(r.commit.size() == 40);
  const auto head = git::head(opts.dir);
  REQUIRE(head);
  CHECK(head->commit == r.commit);
  CHECK_FALSE(head->dirty);
  // Nothing but the project is left in the parent.
  std::vector<std::string> entries;
  for (const auto& e : stdfs::directory_iterator(tmp.path)) entries.push_back(e.path().filename().string());
  CHECK(entries == std::vector<std::string>{"mnist"});
}

TEST_CASE("init refuses to overwrite and leaves the files alone") {
  TempDir tmp;
  action::NullReporter reporter;
  action::InitOptions opts;
  opts.dir = tmp.path;
  opts.name = "demo";
  opts.git = false;
  fs::write_file_atomic(tmp.path / "kf.yaml", "mine\n");
  CHECK_THROWS_WITH_AS(action::init(action::Context{reporter}, opts),
                       ("kf.yaml already exists in " + tmp.path.string() + " (use --force to overwrite)").c_str(),
                       Error);
  CHECK(fs::read_file(tmp.path / "kf.yaml") == "mine\n");
  CHECK_FALSE(stdfs::exists(tmp.path / "README.md"));
  opts.force = true;
  action::init(action::Context{reporter}, opts);
  CHECK(fs::read_file(tmp.path / "kf.yaml") == action::scaffold_kf_yaml("demo", "pytorch"));
  CHECK_FALSE(stdfs::exists(tmp.path / ".git"));
}

TEST_CASE("init rejects names that are not DNS labels") {
  TempDir tmp;
  action::NullReporter reporter;
  action::InitOptions opts;
  opts.dir = tmp.path / "x";
  opts.name = "Demo";
  CHECK_THROWS_AS(action::init(action::Context{reporter}, opts), UsageError);
  CHECK_FALSE(stdfs::exists(opts.dir));
}
