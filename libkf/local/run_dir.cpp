#include "libkf/local/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"

namespace kf::local {

std::filesystem::path runs_root(const std::filesystem::path& project_dir) { return project_dir / ".kf" / "runs"; }
std::filesystem::path metadata_db(const std::filesystem::path& project_dir) { return project_dir / ".kf" / "metadata.db"; }

std::optional<Json> read_json(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return std::nullopt;
  const std::string text = fs::read_file(p);
  try {
    return json::parse(text);
  } catch (const Json::exception& e) {
    throw Error(p.string() + ": not valid JSON: " + e.what());
  }
}

namespace {

// The first field of `object` whose type kf cannot read, as "field: problem"; "" when none.
std::string damaged_field(const Json& object) {
  if (!object.is_object()) return "(the whole file): not a JSON object";
  auto strings = [](const Json& parent, std::initializer_list<const char*> keys, const std::string& at) -> std::string {
    for (const char* k : keys)
      if (parent.contains(k) && !parent[k].is_string()) return at + k + ": not a string";
    return "";
  };
  auto string_map = [](const Json& parent, const char* key, const std::string& at) -> std::string {
    if (!parent.contains(key)) return "";
    if (!parent[key].is_object()) return at + key + ": not an object";
    for (const auto& [k, v] : parent[key].items())
      if (!v.is_string()) return at + key + "." + k + ": not a string";
    return "";
  };
  for (const char* k : {"apiVersion", "kind"})
    if (!object.contains(k) || !object[k].is_string()) return std::string(k) + ": not a string";
  if (!object.contains("metadata") || !object["metadata"].is_object()) return "metadata: not an object";
  const Json& md = object["metadata"];
  if (!md.contains("name") || !md["name"].is_string()) return "metadata.name: not a string";
  for (const auto& problem : {strings(md, {"namespace", "creationTimestamp"}, "metadata."),
                              string_map(md, "labels", "metadata."), string_map(md, "annotations", "metadata.")})
    if (!problem.empty()) return problem;
  if (object.contains("spec") && !object["spec"].is_object()) return "spec: not an object";
  if (!object.contains("status")) return "";
  const Json& st = object["status"];
  if (!st.is_object()) return "status: not an object";
  if (auto p = strings(st, {"phase", "message", "startTime", "completionTime", "startedAt", "finishedAt", "url"}, "status.");
      !p.empty())
    return p;
  if (!st.contains("conditions")) return "";
  if (!st["conditions"].is_array()) return "status.conditions: not a list";
  for (std::size_t i = 0; i < st["conditions"].size(); ++i) {
    const Json& c = st["conditions"][i];
    const std::string at = "status.conditions[" + std::to_string(i) + "]";
    if (!c.is_object()) return at + ": not an object";
    if (auto p = strings(c, {"type", "status", "reason", "message", "lastUpdateTime", "lastTransitionTime"}, at + ".");
        !p.empty())
      return p;
  }
  return "";
}

} // namespace

std::optional<Json> read_run_object(const RunDir& dir) {
  auto object = read_json(dir.object());
  if (!object) return object;
  if (const std::string problem = damaged_field(*object); !problem.empty())
    throw Error(dir.object().string() + ": " + problem + " (the file is damaged: kf delete " +
                dir.root.filename().string() + " removes the run)");
  return object;
}

void write_json(const std::filesystem::path& p, const Json& j) { fs::write_file_atomic(p, j.dump(2) + "\n"); }

FileLock::FileLock(const std::filesystem::path& path, bool wait) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) throw Error("cannot open " + path.string() + ": " + std::strerror(errno));
  int r;
  do r = ::flock(m_fd, LOCK_EX | (wait ? 0 : LOCK_NB));
  while (r != 0 && errno == EINTR);
  if (r != 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

FileLock::~FileLock() {
  if (m_fd >= 0) ::close(m_fd);
}

bool is_locked(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

} // namespace kf::local
