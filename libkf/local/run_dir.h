#pragma once
// A local run's directory, .kf/runs/<run>/ under the project:
//
//   object.json      the object as submitted, with .status as the operator reports it
//                    (written only by the run's supervisor, always atomically)
//   plan.json        the processes to run (plan.h), fixed at submit
//   local.json       supervisor pid, each replica's pid/state/restarts/exit code, progress
//   lock             flock()ed by the supervisor for as long as it lives
//   supervisor.log   the supervisor's own messages
//   logs/<replica>.log  each replica's stdout and stderr (appended across restarts)
//   output/          the trainer's default --output (the replicas' working dir is the run dir)
//
// The run directory is the replicas' working directory, like a volume every
// pod of the job mounts.

#include <filesystem>
#include <optional>
#include <string>

#include "libkf/util/json.h"

namespace kf::local {

struct RunDir {
  std::filesystem::path root;

  std::filesystem::path object() const { return root / "object.json"; }
  std::filesystem::path plan() const { return root / "plan.json"; }
  std::filesystem::path local() const { return root / "local.json"; }
  std::filesystem::path lock() const { return root / "lock"; }
  std::filesystem::path supervisor_log() const { return root / "supervisor.log"; }
  std::filesystem::path logs() const { return root / "logs"; }
  std::filesystem::path log(const std::string& replica) const { return logs() / (replica + ".log"); }
};

// The runs of a project live in <project>/.kf/runs; its metadata in <project>/.kf/metadata.db.
std::filesystem::path runs_root(const std::filesystem::path& project_dir);
std::filesystem::path metadata_db(const std::filesystem::path& project_dir);

// Reads a JSON file; nullopt if it does not exist; kf::Error if it is not JSON.
std::optional<Json> read_json(const std::filesystem::path& p);
// A run's object.json as kf reads it back, checked first: the fields every
// verb reads (apiVersion, kind, metadata.name, labels and annotations,
// status's conditions and times) must have their types. A file edited by
// hand or by another tool may not: kf::Error "<file>: <field>: <problem> ...".
// nullopt if it does not exist.
std::optional<Json> read_run_object(const RunDir& dir);
// Atomic write (temp + fsync + rename).
void write_json(const std::filesystem::path& p, const Json& j);

// An exclusive flock() on `path` held for the object's lifetime.
class FileLock {
public:
  // Blocks until taken (wait = true) or returns an unlocked FileLock.
  FileLock(const std::filesystem::path& path, bool wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool locked() const { return m_fd >= 0; }

private:
  int m_fd = -1;
};

// True while some process holds the lock on `path` (the run's supervisor is alive).
bool is_locked(const std::filesystem::path& path);

} // namespace kf::local
