#pragma once
// Assembles kf's image: the programs (kf-trainer, and kf-server when built),
// the shared libraries they need (elf.h resolves them like the loader), on
// top of an optional base image. Two layers of kf's own, so that a rebuilt
// trainer re-uploads only the small one:
//   1. libraries: the loader (PT_INTERP) and every needed library the base
//      lacks, in the loader's default directory (the one holding libc.so.6:
//      the base's, else this machine's); without a base also /tmp, the CA
//      bundle (for data URLs) and the working directory;
//   2. programs: /usr/local/bin/<name>.
// GPU driver libraries (libcuda, libnvidia-*) are never copied: the NVIDIA
// container runtime mounts the host's. CUDA libraries (cudart, cuBLAS, NCCL,
// ...) are never copied either: the `cuda` variant takes them from its base,
// the `cpu` variant refuses a trainer that links them.
// Everything is reproducible: same inputs, same digests.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "libkf/image/base.h"
#include "libkf/image/elf.h"
#include "libkf/image/oci.h"
#include "libkf/image/tar.h"

namespace kf::image {

struct Program {
  std::filesystem::path host_path; // the built executable
  std::string name;                // installed as /usr/local/bin/<name>
};

struct BuildSpec {
  std::vector<Program> programs;             // the first is the entrypoint
  std::string variant = "cpu";               // cpu | cuda
  const BaseImage* base = nullptr;           // nullptr = self-contained (from scratch)
  std::map<std::string, std::string> labels; // config labels
  std::vector<std::string> env;              // NAME=VALUE, over the base's
  std::string workdir = "/workspace";
  std::int64_t mtime = 0;                    // every file's mtime, and the config's created
  std::filesystem::path ca_bundle = "/etc/ssl/certs/ca-certificates.crt"; // copied without a base, when present
  LibrarySearch search;
  int gzip_level = GzipSink::k_default_level;
};

struct BuildResult {
  Image image;
  std::string architecture;                  // "amd64"
  std::vector<std::string> bundled;          // image paths of the libraries copied
  std::vector<std::string> from_base;        // sonames the base provides
  std::vector<std::string> skipped;          // driver libraries left to the container runtime
};

// Builds every blob into `store`. Throws kf::Error (missing library, CUDA
// library in a cpu image, cuda variant without CUDA in the trainer or the
// base, unreadable program).
BuildResult build_image(const BuildSpec& spec, BlobStore& store);

// Builds one layer blob from entries into `store`; returns its descriptor
// and sets `diff_id` (sha256 of the uncompressed tar).
Descriptor build_layer(const std::vector<TarEntry>& entries, std::int64_t mtime, BlobStore& store, std::string& diff_id,
                       int gzip_level = GzipSink::k_default_level);

// libcuda.so.1, libnvidia-ml.so.1, ...: provided by the GPU driver at run time.
bool is_driver_library(const std::string& soname);
// libcudart, libcublas(Lt), libnccl, libcudnn, ...: from a CUDA runtime base image.
bool is_cuda_library(const std::string& soname);

} // namespace kf::image
