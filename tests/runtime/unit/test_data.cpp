// IDX and CSV readers, sharding, and pinned errors for missing or corrupt data.
#include "tests/runtime/unit/support.h"
#include "runtime/data.h"
#include "runtime/error.h"
#include "runtime/safetensors.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

using namespace kf::trainer;
namespace fs = std::filesystem;

namespace {

using test::error_of;

fs::path temp_dir(const std::string& name) { return test::temp_dir("data", name); }

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

void write_plain(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

void write_gz(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

// n images of 2x3 with pixel value i*10+j, labels i % 3.
void write_idx_pair(const fs::path& dir, const std::string& prefix, std::uint32_t n, bool gz) {
  std::string img = be32(2051) + be32(n) + be32(2) + be32(3), lab = be32(2049) + be32(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (int j = 0; j < 6; ++j) img.push_back(static_cast<char>(i * 10 + static_cast<std::uint32_t>(j)));
    lab.push_back(static_cast<char>(i % 3));
  }
  auto write = gz ? write_gz : write_plain;
  const std::string ext = gz ? ".gz" : "";
  write(dir / (prefix + "-images-idx3-ubyte" + ext), img);
  write(dir / (prefix + "-labels-idx1-ubyte" + ext), lab);
}

} // namespace

TEST_CASE("idx: a directory of gzip and plain files, sharded per rank") {
  const fs::path dir = temp_dir("idx");
  write_idx_pair(dir, "train", 7, true);
  write_idx_pair(dir, "t10k", 3, false);
  DataOptions o;
  o.source = dir.string();
  const DataSplit one = load_data(o, 0, 1);
  CHECK(one.train.size() == 7);
  CHECK(one.test.size() == 3);
  CHECK(one.train.sample_shape == Shape{1, 2, 3});
  CHECK(one.train.classes == 3);
  CHECK(one.train.images[6] == doctest::Approx(10.0f / 255.0f));
  // Two ranks: 7 -> 6 kept, rank 1 has samples 1, 3, 5.
  const DataSplit r1 = load_data(o, 1, 2);
  CHECK(r1.train.size() == 3);
  CHECK(r1.train.labels == std::vector<std::uint8_t>{1, 0, 2});
  CHECK(r1.test.size() == 1);
  // A file inside the directory names the directory; file:// URLs too.
  o.source = "file://" + (dir / "train-images-idx3-ubyte.gz").string();
  CHECK(load_data(o, 0, 1).train.size() == 7);
  fs::remove_all(dir);
}

TEST_CASE("idx and csv: --train-limit, then the shards - too few samples for the workers") {
  const fs::path dir = temp_dir("keep");
  write_idx_pair(dir, "train", 7, true);
  write_idx_pair(dir, "t10k", 3, false);
  DataOptions o;
  o.source = dir.string();
  o.train_limit = 5;
  // The first 5, 4 of them shared by 2 ranks: rank 1 has samples 1 and 3.
  const DataSplit r1 = load_data(o, 1, 2);
  CHECK(r1.train.labels == std::vector<std::uint8_t>{1, 0});
  CHECK(r1.train.images.size() == 2 * 6);
  CHECK(r1.train.images[6] == doctest::Approx(30.0f / 255.0f)); // sample 3's first pixel
  CHECK(r1.train.classes == 3); // every label counts, kept or not
  CHECK(r1.test.size() == 1);
  o.train_limit = 1;
  CHECK(error_of([&] { load_data(o, 0, 2); }) == "data: 1 training samples cannot be shared by 2 workers");
  // The same rule for a CSV file (its last tenth, at least one row, is the test split).
  write_plain(dir / "d.csv", "0,1\n1,2\n0,3\n1,4\n");
  o.source = (dir / "d.csv").string();
  o.train_limit = 0;
  CHECK(load_data(o, 1, 2).train.labels == std::vector<std::uint8_t>{1});
  o.train_limit = 2;
  const DataSplit first_two = load_data(o, 0, 1);
  CHECK(first_two.train.labels == std::vector<std::uint8_t>{0, 1});
  REQUIRE(first_two.train.images.size() == 2); // the first two rows, in place (values scaled as read_csv scales them)
  CHECK(first_two.train.images[1] == doctest::Approx(2 * first_two.train.images[0]));
  o.train_limit = 0;
  CHECK(error_of([&] { load_data(o, 0, 4); }) == "data: 3 training samples cannot be shared by 4 workers");
  fs::remove_all(dir);
}

TEST_CASE("idx: pinned errors for missing and corrupt data") {
  const fs::path dir = temp_dir("bad");
  DataOptions o;
  o.source = (dir / "nope").string();
  CHECK(error_of([&] { load_data(o, 0, 1); }) == "data: " + (dir / "nope").string() + " does not exist");
  o.source = dir.string();
  CHECK(error_of([&] { load_data(o, 0, 1); }) ==
        "data: " + dir.string() + " has no train-images-idx3-ubyte[.gz] (expected the four MNIST-format IDX files)");
  write_idx_pair(dir, "train", 4, false);
  write_idx_pair(dir, "t10k", 2, false);
  const fs::path img = dir / "train-images-idx3-ubyte";
  const std::string bytes = read_file(img.string());
  write_plain(img, bytes.substr(0, bytes.size() - 5));
  CHECK(error_of([&] { load_data(o, 0, 1); }) ==
        "data: " + img.string() + ": truncated: the header promises 24 bytes of data but the file has 19");
  write_plain(img, std::string("\x00\x00\x08\x01", 4) + bytes.substr(4));
  CHECK(error_of([&] { load_data(o, 0, 1); }) ==
        "data: " + img.string() + ": not an IDX image file (magic 0x00000801, expected 2051)");
  // A gzip file cut short.
  fs::remove(img);
  write_gz(dir / "train-images-idx3-ubyte.gz", bytes + std::string(4000, 'x'));
  const std::string gz = read_file((dir / "train-images-idx3-ubyte.gz").string());
  write_plain(dir / "train-images-idx3-ubyte.gz", gz.substr(0, gz.size() / 2));
  CHECK_THROWS_WITH(load_data(o, 0, 1), doctest::Contains("train-images-idx3-ubyte.gz: truncated gzip file"));
  fs::remove_all(dir);
}

// fuzz_data: dimensions whose product wraps past 2^64 passed the size check
// (4 x 2^31 x 2^31 promised 0 bytes), leaving 2^62-pixel samples with no data.
TEST_CASE("idx: dimensions past any file's size and empty ones are refused") {
  const fs::path dir = temp_dir("dims");
  const std::string img = (dir / "img").string(), lab = (dir / "lab").string();
  write_plain(lab, be32(2049) + be32(4) + std::string(4, '\1'));
  write_plain(img, be32(2051) + be32(4) + be32(1u << 31) + be32(1u << 31));
  CHECK(error_of([&] { read_idx(img, lab); }) ==
        "data: " + img + ": the header's dimensions (4 x 2147483648 x 2147483648) are past any file's size");
  write_plain(img, be32(2051) + be32(4) + be32(0) + be32(3));
  CHECK(error_of([&] { read_idx(img, lab); }) == "data: " + img + ": no samples (the header's dimensions are 4 x 0 x 3)");
  fs::remove_all(dir);
}

TEST_CASE("csv: header skipped, label first or last, pinned errors") {
  const fs::path dir = temp_dir("csv");
  write_plain(dir / "d.csv", "label,p0,p1,p2,p3\n1,0,255,0,255\n0,255,0,255,0\n2,10,20,30,40\n");
  Dataset d = read_csv((dir / "d.csv").string(), "first");
  CHECK(d.size() == 3);
  CHECK(d.sample_shape == Shape{1, 2, 2});
  CHECK(d.labels == std::vector<std::uint8_t>{1, 0, 2});
  CHECK(d.images[1] == doctest::Approx(1.0f));
  write_plain(dir / "e.csv", "0.5,1,3\n0.25,2,7\n");
  Dataset e = read_csv((dir / "e.csv").string(), "last");
  CHECK(e.labels == std::vector<std::uint8_t>{3, 7});
  CHECK(e.sample_shape == Shape{1, 1, 2});
  write_plain(dir / "bad.csv", "1,2,3\n1,2\n");
  CHECK(error_of([&] { read_csv((dir / "bad.csv").string(), "first"); }) ==
        "data: " + (dir / "bad.csv").string() + ":2: expected 3 fields, got 2");
  write_plain(dir / "bad2.csv", "1,2,3\n1,x,3\n");
  CHECK(error_of([&] { read_csv((dir / "bad2.csv").string(), "first"); }) ==
        "data: " + (dir / "bad2.csv").string() + ":2: 'x' is not a number");
  // fuzz_data: inf made every value of its column NaN (v / inf), nan went through as it was.
  for (const char* value : {"inf", "-inf", "nan"}) {
    write_plain(dir / "bad3.csv", std::string("1,2,3\n") + value + ",2,3\n");
    CHECK(error_of([&] { read_csv((dir / "bad3.csv").string(), "last"); }) ==
          "data: " + (dir / "bad3.csv").string() + ":2: '" + value + "' is not a finite number");
  }
  write_plain(dir / "bad3.csv", "1,2,3\n1e39,2,3\n");
  CHECK(error_of([&] { read_csv((dir / "bad3.csv").string(), "last"); }) ==
        "data: " + (dir / "bad3.csv").string() + ":2: '1e39' is past a 32-bit float's range");
  fs::remove_all(dir);
}

TEST_CASE("synthetic: deterministic, ten classes") {
  const Dataset a = synthetic_dataset(50, 8, 0), b = synthetic_dataset(50, 8, 0);
  CHECK(a.images == b.images);
  CHECK(a.classes == 10);
  CHECK(a.sample_shape == Shape{1, 8, 8});
  CHECK(synthetic_dataset(50, 8, 1).images != a.images);
}
