// The content-addressed artifact repository (artifacts.h).
#include "libkf/workflow/artifacts.h"

#include <unistd.h>

#include <fstream>
#include <random>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json.h"
#include "libkf/util/sha256.h"
#include "libkf/util/strings.h"

namespace kf::workflow {

namespace stdfs = std::filesystem;

namespace {

std::string hex_of(const std::string& key) {
  if (!str::starts_with(key, "sha256:") || key.size() != 7 + 64) throw Error("not an artifact key: " + str::quote(key));
  return key.substr(7);
}

std::string temp_name() {
  static std::mt19937_64 rng{std::random_device{}()};
  return ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng());
}

// Moves `temp` to `final` unless the same content is already there.
void publish(const stdfs::path& temp, const stdfs::path& final) {
  std::error_code ec;
  if (stdfs::exists(final, ec)) {
    stdfs::remove(temp, ec);
    return;
  }
  stdfs::rename(temp, final);
}

} // namespace

ArtifactStore::ArtifactStore(stdfs::path root) : m_root(std::move(root)) {}

stdfs::path ArtifactStore::blob(const std::string& hex) const { return m_root / "blobs" / "sha256" / hex; }
stdfs::path ArtifactStore::tree(const std::string& hex) const { return m_root / "trees" / (hex + ".json"); }

std::string ArtifactStore::put_blob(const stdfs::path& file, std::uint64_t& size) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string());
  stdfs::create_directories(m_root / "blobs" / "sha256");
  const stdfs::path temp = m_root / "blobs" / "sha256" / temp_name();
  std::ofstream out(temp, std::ios::binary);
  if (!out) throw Error("cannot write " + temp.string());
  Sha256 hash;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    const auto n = static_cast<std::size_t>(in.gcount());
    hash.update(buf, n);
    out.write(buf, static_cast<std::streamsize>(n));
    size += n;
  }
  out.close();
  if (!out) throw Error("cannot write " + temp.string());
  const std::string hex = hash.hex();
  publish(temp, blob(hex));
  return hex;
}

StoredArtifact ArtifactStore::put(const stdfs::path& path) const {
  std::error_code ec;
  const auto st = stdfs::symlink_status(path, ec);
  if (ec || !stdfs::exists(st)) throw Error(path.string() + " does not exist");
  StoredArtifact a;
  if (!stdfs::is_directory(st)) {
    a.type = "file";
    a.key = "sha256:" + put_blob(path, a.size);
    return a;
  }
  a.type = "directory";
  Json entries = Json::array();
  std::vector<stdfs::path> paths;
  for (auto it = stdfs::recursive_directory_iterator(path, ec); !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec))
    paths.push_back(it->path());
  if (ec) throw Error("cannot read " + path.string() + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    const auto s = stdfs::symlink_status(p);
    Json e = {{"path", stdfs::relative(p, path).generic_string()}};
    if (stdfs::is_symlink(s)) {
      e["type"] = "symlink";
      e["link"] = stdfs::read_symlink(p).string();
    } else if (stdfs::is_directory(s)) {
      e["type"] = "directory";
    } else {
      e["type"] = "file";
      e["mode"] = static_cast<unsigned>(s.permissions() & stdfs::perms::mask);
      e["digest"] = "sha256:" + put_blob(p, a.size);
    }
    entries.push_back(std::move(e));
  }
  const std::string doc = Json{{"entries", entries}}.dump();
  Sha256 hash;
  hash.update(doc);
  const std::string hex = hash.hex();
  stdfs::create_directories(m_root / "trees");
  const stdfs::path temp = m_root / "trees" / temp_name();
  fs::write_file_atomic(temp, doc);
  publish(temp, tree(hex));
  a.key = "sha256:" + hex;
  return a;
}

bool ArtifactStore::has(const std::string& key) const {
  std::error_code ec;
  const std::string hex = hex_of(key);
  if (stdfs::exists(blob(hex), ec)) return true;
  if (!stdfs::exists(tree(hex), ec)) return false;
  const Json t = json::parse_or_discarded(fs::read_file(tree(hex)));
  if (t.is_discarded()) return false;
  for (const auto& e : t.value("entries", Json::array()))
    if (e.value("type", "") == "file" && !stdfs::exists(blob(hex_of(e.value("digest", ""))), ec)) return false;
  return true;
}

void ArtifactStore::get(const std::string& key, const stdfs::path& destination) const {
  const std::string hex = hex_of(key);
  std::error_code ec;
  stdfs::remove_all(destination, ec);
  stdfs::create_directories(destination.parent_path());
  if (stdfs::exists(blob(hex), ec)) {
    stdfs::copy_file(blob(hex), destination);
    return;
  }
  if (!stdfs::exists(tree(hex), ec)) throw Error("artifact " + key + " is not in " + m_root.string());
  const Json t = json::parse_or_discarded(fs::read_file(tree(hex)));
  if (t.is_discarded()) throw Error("artifact " + key + ": " + tree(hex).string() + " is not JSON");
  stdfs::create_directories(destination);
  for (const auto& e : t.value("entries", Json::array())) {
    const stdfs::path p = destination / e.value("path", "");
    const std::string type = e.value("type", "");
    if (type == "directory") {
      stdfs::create_directories(p);
    } else if (type == "symlink") {
      stdfs::create_symlink(e.value("link", ""), p);
    } else {
      stdfs::copy_file(blob(hex_of(e.value("digest", ""))), p);
      stdfs::permissions(p, static_cast<stdfs::perms>(e.value("mode", 0644u)));
    }
  }
}

} // namespace kf::workflow
