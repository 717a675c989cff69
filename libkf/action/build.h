#pragma once
// `kf build`: packages kf-trainer (and kf-server when it was built beside it)
// with the shared libraries it needs as an OCI image — no container engine —
// optionally on the base image kf.yaml names (spec.image.base), and writes it
// to the project's OCI layout .kf/image/, to -o destinations, and with --push
// to the registry kf.yaml names (spec.image.registry). The result is recorded
// in .kf/image.json, so that kf render/train/... use the image by digest
// (render/trainer_image.h).
//
// Reproducible: the same trainer, libraries, kf.yaml and commit give the same
// digest (file times are $SOURCE_DATE_EPOCH, else 0). Credentials for
// registries come from the docker config (image/auth.h) and never appear in
// messages, not even with -v.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/image/registry.h"
#include "libkf/spec/load.h"

namespace kf::action {

struct BuildOptions {
  spec::LoadOptions load;
  std::string variant = "cpu";                // --variant: cpu (self-contained) | cuda (on a CUDA base)
  std::string tag;                            // --tag; "" = kf.yaml's image.tag
  bool push = false;                          // --push to kf.yaml's image.registry
  std::vector<std::string> outputs;           // -o oci:DIR | docker-archive:FILE (repeatable)
  bool insecure = false;                      // --insecure: plain http to registries
  std::string ca_file;                        // --ca-file: CA bundle for registries' TLS ("" = system CAs)
  std::uint64_t chunk_size = 32ull << 20;     // --chunk-size: larger blobs go in PATCH chunks of this size; 0 = one PUT
  std::string trainer;                        // "" = local::find_runtime("kf-trainer") ($KF_TRAINER, beside kf, PATH)
  std::string docker_config;                  // "" = $DOCKER_CONFIG, else ~/.docker
  image::BlobCallback on_blob;                // push progress (the CLI draws it); may be empty
};

struct BuildOutput {
  std::string kind; // "oci" | "docker-archive"
  std::filesystem::path path;
};

// Checks the options alone (before anything is read): throws kf::UsageError.
std::vector<BuildOutput> validate(const BuildOptions& options);

struct BuiltLayer {
  std::string digest;
  std::uint64_t size = 0;
  std::string origin; // "" = built by kf, else the base image's repository
};

struct BuildResult {
  std::string reference;    // "registry/name@sha256:…" — what kf render now uses
  std::string digest;       // the manifest's
  std::string tagged;       // "registry/name:tag"
  std::string variant, architecture;
  std::string commit;       // git HEAD ("" outside a repository)
  std::string base;         // the base image ("" = none)
  std::vector<BuiltLayer> layers;
  std::vector<std::string> bundled, from_base, skipped; // libraries (builder.h)
  std::filesystem::path layout;                  // the project's OCI layout (.kf/image)
  std::vector<BuildOutput> outputs;
  bool pushed = false;
  int blobs_uploaded = 0, blobs_existing = 0, blobs_mounted = 0;
  std::uint64_t bytes_uploaded = 0;
  Json to_json() const;
};

BuildResult build(const Context& ctx, const BuildOptions& options);

// "https://user:token@host/x.git" -> "https://host/x.git" (URLs only; scp-like kept).
std::string strip_url_credentials(const std::string& url);

} // namespace kf::action
