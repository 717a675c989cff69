#include <doctest/doctest.h>

#include <filesystem>

#include "libkf/image/builder.h"
#include "libkf/image/reference.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "tests/unit/image/elf_fixture.h"
#include "tests/unit/temp_dir.h"

using namespace kf;
using namespace kf::image;
namespace stdfs = std::filesystem;

namespace {

// A fake machine: a trainer needing libfoo (which needs libc and the GPU
// driver's libcuda) and libc (which needs the loader), as on Debian.
struct Machine {
  test::TempDir t;
  stdfs::path root = t.path / "root";
  stdfs::path trainer;
  explicit Machine(std::vector<std::string> trainer_needs = {"libfoo.so.1", "libc.so.6"}) {
    const std::string lib = "usr/lib/x86_64-linux-gnu/";
    trainer = test::write_elf(root, "usr/local/bin/kf-trainer", {"/lib64/ld-linux-x86-64.so.2", "", trainer_needs, ""});
    test::write_elf(root, lib + "libfoo.so.1", {"", "libfoo.so.1", {"libc.so.6", "libcuda.so.1"}, ""});
    test::write_elf(root, lib + "libc.so.6", {"", "libc.so.6", {"ld-linux-x86-64.so.2"}, ""});
    test::write_elf(root, lib + "ld-linux-x86-64.so.2", {"", "ld-linux-x86-64.so.2", {}, ""});
    test::write_elf(root, lib + "libcuda.so.1", {"", "libcuda.so.1", {}, ""});
    test::write_elf(root, lib + "libcudart.so.13", {"", "libcudart.so.13", {}, ""});
    stdfs::create_directories(root / "lib64");
    stdfs::create_symlink("../" + lib + "ld-linux-x86-64.so.2", root / "lib64/ld-linux-x86-64.so.2");
  }
  BuildSpec spec() const {
    BuildSpec s;
    s.programs = {{trainer, "kf-trainer"}};
    s.search.root = root;
    s.ca_bundle = "";
    s.labels = {{"org.opencontainers.image.revision", "abc123"}};
    return s;
  }
};

std::map<std::string, TarMember> members(const BlobStore& store, const Descriptor& layer) {
  std::map<std::string, TarMember> out;
  read_tar(store.path(layer.digest), true, [&](const TarMember& m) { out[m.path] = m; });
  return out;
}

} // namespace

TEST_CASE("build_image: a self-contained image: loader, libraries, trainer — driver libraries left out") {
  Machine m;
  // No GPU driver on the build machine: libcuda is not looked for.
  stdfs::remove(m.root / "usr/lib/x86_64-linux-gnu/libcuda.so.1");
  BlobStore store(m.t.path / "store");
  const auto r = build_image(m.spec(), store);
  CHECK(r.architecture == "amd64");
  CHECK(r.bundled == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/libfoo.so.1", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                                              "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"});
  CHECK(r.skipped == std::vector<std::string>{"libcuda.so.1"});
  REQUIRE(r.image.layers.size() == 2);
  const auto libs = members(store, r.image.layers[0]);
  CHECK(libs.at("lib64/ld-linux-x86-64.so.2").type == '2');
  CHECK(libs.at("lib64/ld-linux-x86-64.so.2").link == "../usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  CHECK(libs.at("usr/lib/x86_64-linux-gnu/libc.so.6").mode == 0755);
  CHECK(libs.at("tmp").mode == 01777);
  CHECK(libs.count("workspace") == 1);
  CHECK(libs.count("usr/lib/x86_64-linux-gnu/libcuda.so.1") == 0);
  const auto progs = members(store, r.image.layers[1]);
  CHECK(progs.at("usr/local/bin/kf-trainer").mode == 0755);
  CHECK(progs.size() == 4); // usr, usr/local, usr/local/bin, the trainer

  const Json config = Json::parse(r.image.config_bytes);
  CHECK(config["architecture"] == "amd64");
  CHECK(config["os"] == "linux");
  CHECK(config["created"] == "1970-01-01T00:00:00Z");
  CHECK(config["config"]["Entrypoint"] == Json::array({"/usr/local/bin/kf-trainer"}));
  CHECK(config["config"]["WorkingDir"] == "/workspace");
  CHECK(config["config"]["Env"][0] == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  CHECK(config["config"]["Labels"]["org.opencontainers.image.revision"] == "abc123");
  CHECK(config["rootfs"]["diff_ids"].size() == 2);
  CHECK(config["history"].size() == 2);
  const Json manifest = Json::parse(r.image.manifest_bytes);
  CHECK(manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
  CHECK(manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json");
  CHECK(manifest["config"]["digest"] == r.image.config.digest);
  CHECK(r.image.manifest.digest == digest_of(r.image.manifest_bytes));

  // Reproducible: another build, another store, the same digest.
  BlobStore again(m.t.path / "again");
  CHECK(build_image(m.spec(), again).image.manifest.digest == r.image.manifest.digest);
  // SOURCE_DATE_EPOCH-style mtime changes it.
  auto later = m.spec();
  later.mtime = 1700000000;
  CHECK(build_image(later, again).image.manifest.digest != r.image.manifest.digest);
}

TEST_CASE("build_image: the cpu variant refuses a trainer that links CUDA — cuda needs a base and a CUDA trainer") {
  Machine cuda({"libcudart.so.13", "libc.so.6"});
  BlobStore store(cuda.t.path / "store");
  CHECK_THROWS_WITH_AS(build_image(cuda.spec(), store),
                       ("the cpu variant is for a trainer built without CUDA, but " + cuda.trainer.string() +
                        " links libcudart.so.13: build it with cmake -DKF_CUDA=OFF, or build --variant cuda on a CUDA runtime base image")
                           .c_str(),
                       Error);
  auto s = cuda.spec();
  s.variant = "cuda";
  CHECK_THROWS_WITH_AS(build_image(s, store), "the cuda variant needs a CUDA runtime base image: set spec.image.base in kf.yaml", UsageError);

  BaseImage base;
  base.ref = parse_reference("nvidia/cuda:13.0.0-runtime-ubuntu24.04");
  base.digest = "sha256:" + std::string(64, 'b');
  base.config = Json::parse(R"({"config":{"Env":["PATH=/usr/local/nvidia/bin:/usr/bin:/bin","NVIDIA_VISIBLE_DEVICES=all"],
                                          "Cmd":["bash"]},"history":[{"created_by":"base"}]})");
  base.files.add("usr/lib/x86_64-linux-gnu/libc.so.6", '0');
  base.files.add("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", '0');
  base.files.add("lib64", '2', "usr/lib64");
  base.files.add("usr/lib64/ld-linux-x86-64.so.2", '2', "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  s.base = &base;
  CHECK_THROWS_WITH_AS(build_image(s, store),
                       "the base image docker.io/nvidia/cuda:13.0.0-runtime-ubuntu24.04 does not provide libcudart.so.13, which "
                       "kf-trainer needs: build on a CUDA runtime image (nvidia/cuda:<version>-runtime-<os>) of the CUDA version it was built with",
                       Error);
  base.files.add("usr/local/cuda-13.0/targets/x86_64-linux/lib/libcudart.so.13", '0');
  // CUDA libraries need not exist on the build machine when the base has them.
  stdfs::remove(cuda.root / "usr/lib/x86_64-linux-gnu/libcudart.so.13");
  const auto r = build_image(s, store);
  CHECK(r.bundled.empty());
  CHECK(r.from_base == std::vector<std::string>{"libcudart.so.13", "libc.so.6"}); // the base's libc brings its own loader
  REQUIRE(r.image.layers.size() == 2); // workspace, then the trainer
  const auto first = members(store, r.image.layers[0]);
  CHECK(first.count("workspace") == 1);
  CHECK(first.count("lib64") == 0); // never replaces the base's symlink
  const Json config = Json::parse(r.image.config_bytes);
  CHECK(config["config"]["Env"] == Json::array({"PATH=/usr/local/nvidia/bin:/usr/bin:/bin", "NVIDIA_VISIBLE_DEVICES=all"}));
  CHECK_FALSE(config["config"].contains("Cmd"));
  CHECK(config["history"].size() == 3);
  const Json manifest = Json::parse(r.image.manifest_bytes);
  CHECK(manifest["annotations"]["org.opencontainers.image.base.name"] == "docker.io/nvidia/cuda:13.0.0-runtime-ubuntu24.04");

  Machine plain;
  auto p = plain.spec();
  p.variant = "cuda";
  p.base = &base;
  CHECK_THROWS_WITH_AS(build_image(p, store),
                       ("the cuda variant needs a trainer built with CUDA, but " + plain.trainer.string() +
                        " links no CUDA library: build it where nvcc and NCCL are found (cmake -DKF_CUDA=ON), or build --variant cpu")
                           .c_str(),
                       Error);
}

TEST_CASE("driver and CUDA libraries are told apart") {
  CHECK(is_driver_library("libcuda.so.1"));
  CHECK(is_driver_library("libnvidia-ml.so.1"));
  CHECK_FALSE(is_driver_library("libcudart.so.13"));
  CHECK(is_cuda_library("libcudart.so.13"));
  CHECK(is_cuda_library("libcublasLt.so.13"));
  CHECK(is_cuda_library("libnccl.so.2"));
  CHECK_FALSE(is_cuda_library("libcuda.so.1"));
  CHECK_FALSE(is_cuda_library("libc.so.6"));
  CHECK(rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(rfc3339(1700000000) == "2023-11-14T22:13:20Z");
}
