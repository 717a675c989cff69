#include "libkf/image/oci.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "libkf/image/digest.h"
#include "libkf/image/stream.h"
#include "libkf/image/tar.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"

namespace kf::image {

namespace stdfs = std::filesystem;

Json Descriptor::to_json() const {
  Json j = Json::object();
  j["mediaType"] = media_type;
  j["digest"] = digest;
  j["size"] = size;
  return j;
}

stdfs::path BlobStore::path(const std::string& digest) const {
  if (!is_digest(digest)) throw Error("not a sha256 digest: " + digest);
  return m_dir / "blobs" / "sha256" / digest_hex(digest);
}

bool BlobStore::has(const std::string& digest, std::uint64_t size) const {
  std::error_code ec;
  const auto p = path(digest);
  return stdfs::is_regular_file(p, ec) && stdfs::file_size(p, ec) == size && !ec;
}

stdfs::path BlobStore::tmp_dir() const {
  const stdfs::path t = m_dir / "blobs" / "tmp";
  std::error_code ec;
  stdfs::create_directories(t, ec);
  if (ec) throw Error("cannot create " + t.string() + ": " + ec.message());
  return t;
}

void BlobStore::adopt(const stdfs::path& tmp, const std::string& digest) {
  const auto dest = path(digest);
  std::error_code ec;
  stdfs::create_directories(dest.parent_path(), ec);
  if (ec) throw Error("cannot create " + dest.parent_path().string() + ": " + ec.message());
  stdfs::rename(tmp, dest, ec);
  if (ec) throw Error("cannot store blob " + dest.string() + ": " + ec.message());
}

Descriptor BlobStore::put(const std::string& media_type, const std::string& bytes) {
  Descriptor d{media_type, digest_of(bytes), bytes.size()};
  if (!has(d.digest, d.size)) {
    const auto dest = path(d.digest);
    std::error_code ec;
    stdfs::create_directories(dest.parent_path(), ec);
    if (ec) throw Error("cannot create " + dest.parent_path().string() + ": " + ec.message());
    fs::write_file_atomic(dest, bytes);
  }
  return d;
}

std::string BlobStore::read(const std::string& digest) const { return fs::read_file(path(digest)); }

namespace {

void copy_blob(const BlobStore& from, const BlobStore& to, const std::string& digest, std::uint64_t size) {
  if (to.has(digest, size)) return;
  const auto src = from.path(digest);
  const auto dest = to.path(digest);
  std::error_code ec;
  stdfs::create_directories(dest.parent_path(), ec);
  if (ec) throw Error("cannot create " + dest.parent_path().string() + ": " + ec.message());
  const auto tmp = to.tmp_dir() / (digest_hex(digest) + "." + std::to_string(::getpid()));
  stdfs::remove(tmp, ec);
  // A hard link when both are on one file system (blobs never change), else a copy.
  if (::link(src.c_str(), tmp.c_str()) != 0) {
    stdfs::copy_file(src, tmp, stdfs::copy_options::overwrite_existing, ec);
    if (ec) throw Error("cannot copy " + src.string() + " to " + tmp.string() + ": " + ec.message());
  }
  stdfs::rename(tmp, dest, ec);
  if (ec) throw Error("cannot store blob " + dest.string() + ": " + ec.message());
}

} // namespace

void write_oci_layout(const Image& image, const BlobStore& from, const stdfs::path& dir, const std::string& ref_name, bool gc) {
  std::error_code ec;
  if (stdfs::exists(dir, ec) && !stdfs::is_directory(dir, ec)) throw Error(dir.string() + " exists and is not a directory");
  const bool existing_layout = stdfs::is_regular_file(dir / "oci-layout", ec);
  if (!existing_layout && stdfs::is_directory(dir, ec))
    for (const auto& e : stdfs::directory_iterator(dir, ec))
      if (e.path().filename() != "blobs") // a store that is becoming a layout
        throw Error(dir.string() + " is neither empty nor an OCI image layout: choose a new directory for -o oci:DIR");
  stdfs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  const BlobStore to(dir);
  const bool same = stdfs::equivalent(from.dir(), dir, ec) && !ec;
  if (!same) {
    for (std::size_t i = 0; i < image.layers.size(); ++i) copy_blob(from, to, image.layers[i].digest, image.layers[i].size);
    copy_blob(from, to, image.config.digest, image.config.size);
    copy_blob(from, to, image.manifest.digest, image.manifest.size);
  }
  fs::write_file_atomic(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  Json index = Json::object();
  index["schemaVersion"] = 2;
  index["mediaType"] = media::k_oci_index;
  Json manifests = Json::array();
  if (stdfs::is_regular_file(dir / "index.json", ec)) {
    try {
      const Json old = json::parse(fs::read_file(dir / "index.json"));
      if (old.contains("manifests") && old["manifests"].is_array())
        for (const auto& m : old["manifests"]) {
          const Json ann = m.value("annotations", Json::object());
          if (ann.value("org.opencontainers.image.ref.name", "") != ref_name) manifests.push_back(m);
        }
    } catch (const Json::exception&) {
      throw Error((dir / "index.json").string() + ": not a valid OCI index");
    }
  }
  Json entry = image.manifest.to_json();
  entry["annotations"] = Json{{"org.opencontainers.image.ref.name", ref_name}};
  manifests.push_back(entry);
  index["manifests"] = manifests;
  fs::write_file_atomic(dir / "index.json", index.dump() + "\n");
  if (!gc) return;
  // Keep what the index reaches (manifests, their configs and layers).
  std::set<std::string> keep;
  for (const auto& m : manifests) {
    const std::string d = m.value("digest", "");
    keep.insert(digest_hex(d));
    try {
      const Json man = json::parse(to.read(d));
      if (man.contains("config")) keep.insert(digest_hex(man["config"].value("digest", "")));
      for (const auto& l : man.value("layers", Json::array())) keep.insert(digest_hex(l.value("digest", "")));
      for (const auto& l : man.value("manifests", Json::array())) keep.insert(digest_hex(l.value("digest", "")));
    } catch (const std::exception&) {
      return; // something we do not understand: remove nothing
    }
  }
  for (const auto& f : stdfs::directory_iterator(dir / "blobs" / "sha256", ec))
    if (!keep.count(f.path().filename().string())) stdfs::remove(f.path(), ec);
  stdfs::remove_all(dir / "blobs" / "tmp", ec);
}

void write_docker_archive(const Image& image, const BlobStore& from, const stdfs::path& file, const std::string& repo_tag,
                          std::int64_t mtime) {
  const stdfs::path parent = file.has_parent_path() ? file.parent_path() : stdfs::path(".");
  std::error_code ec;
  stdfs::create_directories(parent, ec);
  fs::TempDirGuard work(fs::make_temp_dir(parent, file.filename().string()));
  std::vector<TarEntry> entries;
  Json layers = Json::array();
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    const std::string& diff_id = image.diff_ids.at(i);
    const stdfs::path tar = work.path() / (digest_hex(diff_id) + ".tar");
    {
      FileSink out(tar);
      HashSink check(out);
      const bool gz = image.layers[i].media_type.find("gzip") != std::string::npos;
      read_stream(from.path(image.layers[i].digest), gz, [&](const char* d, std::size_t n) { check.write(d, n); });
      check.finish();
      if (check.digest() != diff_id)
        throw Error("layer " + image.layers[i].digest + " does not unpack to its diff_id " + diff_id);
    }
    const std::string name = digest_hex(diff_id) + "/layer.tar";
    if (std::find(layers.begin(), layers.end(), Json(name)) == layers.end()) {
      TarEntry e;
      e.path = name;
      e.source = tar;
      entries.push_back(e);
    }
    layers.push_back(name);
  }
  const std::string config_name = digest_hex(image.config.digest) + ".json";
  entries.push_back(TarEntry{config_name, TarEntry::Type::file, 0644, {}, image.config_bytes, {}});
  Json manifest = Json::array({Json{{"Config", config_name}, {"RepoTags", Json::array({repo_tag})}, {"Layers", layers}}});
  entries.push_back(TarEntry{"manifest.json", TarEntry::Type::file, 0644, {}, manifest.dump(), {}});
  entries = with_parent_dirs(std::move(entries));
  const stdfs::path tmp = work.path() / "archive.tar";
  {
    FileSink out(tmp);
    write_tar(entries, mtime, out);
    out.finish();
  }
  stdfs::rename(tmp, file, ec);
  if (ec) {
    stdfs::copy_file(tmp, file, stdfs::copy_options::overwrite_existing, ec);
    if (ec) throw Error("cannot write " + file.string() + ": " + ec.message());
  }
}

} // namespace kf::image
