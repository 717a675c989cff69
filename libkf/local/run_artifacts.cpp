#include "libkf/local/run_artifacts.h"

#include <cctype>
#include <fstream>

namespace kf::local {

namespace stdfs = std::filesystem;

std::string trainer_flag(const ReplicaPlan& replica, const std::string& flag) {
  const auto& argv = replica.argv;
  std::string value;
  bool found = false;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].rfind(flag + "=", 0) == 0) value = argv[i].substr(flag.size() + 1), found = true;
    else if (argv[i] == flag && i + 1 < argv.size()) value = argv[i + 1], found = true;
  }
  if (found) return value;
  std::string env_name = "KF_" + flag.substr(2);
  for (auto& c : env_name) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& [k, v] : replica.env)
    if (k == env_name) value = v;
  return value;
}

metadata::ArtifactRecord artifact_at(const std::string& type, const std::string& name, const stdfs::path& uri,
                                     const std::string& direction, const stdfs::path& digest_of, const Warn& warn) {
  metadata::ArtifactRecord a;
  a.type = type;
  a.name = name;
  a.uri = uri.string();
  a.direction = direction;
  std::error_code ec;
  if (digest_of.empty() || !stdfs::exists(digest_of, ec)) return a;
  try {
    a.sha256 = metadata::sha256_path(digest_of);
  } catch (const std::exception& e) {
    warn("cannot digest " + digest_of.string() + ": " + e.what());
  }
  if (stdfs::is_regular_file(digest_of, ec)) a.size = static_cast<std::int64_t>(stdfs::file_size(digest_of, ec));
  return a;
}

std::vector<metadata::ArtifactRecord> training_artifacts(const ReplicaPlan& replica, const stdfs::path& run_root,
                                                         const Warn& warn) {
  std::vector<metadata::ArtifactRecord> out;
  std::error_code ec;
  const std::string data = trainer_flag(replica, "--data");
  if (!data.empty() && data != "synthetic") {
    stdfs::path p = data;
    if (data.find("://") != std::string::npos) {
      out.push_back(artifact_at("kf.Dataset", data.substr(data.find_last_of('/') + 1), p, "input", "", warn));
    } else {
      if (p.is_relative()) p = run_root / p;
      p = stdfs::weakly_canonical(p, ec);
      out.push_back(artifact_at("kf.Dataset", p.filename().string(), p, "input", p, warn));
    }
  }
  stdfs::path dir = trainer_flag(replica, "--output");
  if (dir.empty()) dir = "output";
  if (dir.is_relative()) dir = run_root / dir;
  dir = stdfs::weakly_canonical(dir, ec);
  if (stdfs::exists(dir / "model.safetensors", ec))
    out.push_back(artifact_at("kf.Model", "model", dir, "output", dir / "model.safetensors", warn));
  if (stdfs::exists(dir / "checkpoints" / "latest", ec)) {
    std::ifstream latest(dir / "checkpoints" / "latest");
    std::string name;
    std::getline(latest, name);
    const stdfs::path ckpt = dir / "checkpoints" / name;
    if (!name.empty() && stdfs::exists(ckpt, ec))
      out.push_back(artifact_at("kf.Checkpoint", ckpt.stem().string(), ckpt, "output", ckpt, warn));
  }
  if (stdfs::exists(dir / "metrics.jsonl", ec))
    out.push_back(artifact_at("kf.Metrics", "metrics", dir / "metrics.jsonl", "output", dir / "metrics.jsonl", warn));
  return out;
}

std::vector<metadata::ArtifactRecord> served_model(const ReplicaPlan& replica, const Warn& warn) {
  const stdfs::path dir = trainer_flag(replica, "--model-dir");
  if (dir.empty()) return {};
  return {artifact_at("kf.Model", "model", dir, "input", dir / "model.safetensors", warn)};
}

} // namespace kf::local
