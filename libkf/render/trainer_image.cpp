#include "libkf/render/trainer_image.h"

#include "libkf/util/fs.h"
#include "libkf/util/json.h"

namespace kf::render {

namespace stdfs = std::filesystem;

std::string image_repository(const spec::ImageSpec& i) { return i.registry.empty() ? i.name : i.registry + "/" + i.name; }

stdfs::path built_image_file(const stdfs::path& dir) { return dir / ".kf" / "image.json"; }

std::optional<BuiltImage> read_built_image(const stdfs::path& dir) {
  if (dir.empty()) return std::nullopt;
  const stdfs::path file = built_image_file(dir);
  std::error_code ec;
  if (!stdfs::is_regular_file(file, ec)) return std::nullopt;
  try {
    const Json j = json::parse(fs::read_file(file));
    BuiltImage b;
    b.repository = j.at("repository").get<std::string>();
    b.tag = j.value("tag", "");
    b.digest = j.at("digest").get<std::string>();
    b.variant = j.value("variant", "");
    b.commit = j.value("commit", "");
    b.pushed = j.value("pushed", false);
    if (b.repository.empty() || b.digest.rfind("sha256:", 0) != 0 || b.digest.size() != 71) return std::nullopt;
    return b;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void write_built_image(const stdfs::path& dir, const BuiltImage& b) {
  Json j = Json::object();
  j["reference"] = b.reference();
  j["repository"] = b.repository;
  j["tag"] = b.tag;
  j["digest"] = b.digest;
  j["variant"] = b.variant;
  j["commit"] = b.commit;
  j["pushed"] = b.pushed;
  std::error_code ec;
  stdfs::create_directories(built_image_file(dir).parent_path(), ec);
  fs::write_file_atomic(built_image_file(dir), j.dump(2) + "\n");
}

std::string trainer_image(const spec::Project& project, const stdfs::path& project_dir) {
  if (const auto built = read_built_image(project_dir); built && built->repository == image_repository(project.image))
    return built->reference();
  return project.image.ref();
}

} // namespace kf::render
