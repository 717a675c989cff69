#pragma once
// The project's trainer image as every verb renders it — the one place that
// decides it. When `kf build` recorded an image for the repository kf.yaml
// names (.kf/image.json), that image by digest ("registry/name@sha256:…");
// otherwise kf.yaml's image.ref() ("registry/name:tag"). Projects that never
// ran kf build render exactly as before.

#include <filesystem>
#include <optional>
#include <string>

#include "libkf/spec/project.h"

namespace kf::render {

// What `kf build` records in <project>/.kf/image.json.
struct BuiltImage {
  std::string repository; // "registry/name" as kf.yaml names it (no tag)
  std::string tag;
  std::string digest;     // the manifest's "sha256:…"
  std::string variant;    // cpu | cuda
  std::string commit;     // git HEAD when built ("" outside git)
  bool pushed = false;
  std::string reference() const { return repository + "@" + digest; }
};

// "registry/name" of kf.yaml's image (ImageSpec::ref() without the tag).
std::string image_repository(const spec::ImageSpec& image);

std::filesystem::path built_image_file(const std::filesystem::path& project_dir);
// nullopt when there is no record, or it is not one kf wrote.
std::optional<BuiltImage> read_built_image(const std::filesystem::path& project_dir);
void write_built_image(const std::filesystem::path& project_dir, const BuiltImage& image);

std::string trainer_image(const spec::Project& project, const std::filesystem::path& project_dir);

} // namespace kf::render
