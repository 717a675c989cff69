#pragma once
// The local artifact repository of a project (<project>/.kf/artifacts):
// content-addressed, so the same bytes are stored once, whichever step or
// run made them, and a cached step's outputs are there to restore.
//
//   blobs/sha256/<hex>   a file's bytes
//   trees/<hex>.json     a directory: its files, directories and symlinks,
//                        each file by its blob's digest, sorted by path
//
// A file's key is the sha256 of its bytes, a directory's the sha256 of its
// tree document: "sha256:<hex>". Argo's repositories keep an artifact as a
// tarball (archive: tar, the default) or as it is (archive: none); both
// read back the same here, so `archive` is recorded, not acted on: a tree
// of blobs lets a rerun share files with the run before it, and restoring
// is copying files.

#include <cstdint>
#include <filesystem>
#include <string>

namespace kf::workflow {

struct StoredArtifact {
  std::string key;          // "sha256:<hex>"
  std::string type;         // "file" | "directory"
  std::uint64_t size = 0;   // bytes (a directory: of all its files)
};

class ArtifactStore {
public:
  explicit ArtifactStore(std::filesystem::path root);

  // Stores the file or directory at `path` (symlinks kept as links). Throws
  // kf::Error when it does not exist or cannot be read.
  StoredArtifact put(const std::filesystem::path& path) const;

  // Writes the artifact `key` to `destination` (a file, or a directory it
  // creates), replacing what is there. Throws kf::Error for an unknown key.
  void get(const std::string& key, const std::filesystem::path& destination) const;

  // True when every blob of `key` is in the store.
  bool has(const std::string& key) const;

  const std::filesystem::path& root() const { return m_root; }

private:
  std::string put_blob(const std::filesystem::path& file, std::uint64_t& size) const;
  std::filesystem::path blob(const std::string& hex) const;
  std::filesystem::path tree(const std::string& hex) const;

  std::filesystem::path m_root;
};

} // namespace kf::workflow
