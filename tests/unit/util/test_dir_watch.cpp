#include <doctest/doctest.h>

#include <chrono>

#include "libkf/util/dir_watch.h"
#include "tests/unit/temp_dir.h"

using namespace kf;

// A missed change would sleep the whole timeout (minutes) and fail the check.
TEST_CASE("DirWatch: a file renamed into the directory ends the wait, even one before it") {
  test::TempDir dir;
  DirWatch changes(dir.path);
  dir.write("object.json", "{}"); // write_file_atomic: a temporary file renamed over object.json
  const auto t0 = std::chrono::steady_clock::now();
  changes.wait(std::chrono::minutes(5));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::minutes(2));
  changes.wait(std::chrono::milliseconds(10)); // the events were consumed: the timeout ends it
}

TEST_CASE("DirWatch: a directory it cannot watch makes wait() a plain sleep") {
  test::TempDir dir;
  DirWatch changes(dir.path / "missing");
  const auto t0 = std::chrono::steady_clock::now();
  changes.wait(std::chrono::milliseconds(10));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(10));
}
