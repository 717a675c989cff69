#pragma once
// kf's view of the metadata store: one training (or serving) run = one
// MLMD Execution of type "kf.Run" in a Context of type "kf.Project", with
// Events linking the Artifacts it consumed (kf.Dataset) and produced
// (kf.Model, kf.Checkpoint, kf.Metrics). Per-epoch metrics live in the
// kf extension table `metric` (MLMD has no time series). store.h is the
// generic MLMD-style layer this is built on.
//
// Safe for several processes at once (SQLite WAL, busy timeout, every
// write in one IMMEDIATE transaction): the supervisor of a run writes while
// `kf status` reads, and two `kf train` may start at the same moment.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libkf/util/json.h"

namespace kf::metadata {

class Store;

struct ArtifactRecord {
  std::string type;      // "kf.Dataset", "kf.Model", "kf.Checkpoint", "kf.Metrics", "kf.Image" (kf build),
                         // "kf.Artifact" (a workflow step's input or output artifact)
  std::string name;      // e.g. "model", "ckpt-1200", "fashion-mnist"
  std::string uri;       // absolute path or URL
  std::string sha256;    // hex digest of the file (of a directory: of its sorted file digests); "" = not computed
  std::int64_t size = 0; // bytes; 0 = unknown
  std::string direction; // "input" or "output" (the Event type)
  std::int64_t create_time_ms = 0; // filled in by the store
};

// One step of a pipeline run (a Workflow's Pod node): an MLMD Execution of
// type "kf.Step" in the run's "kf.PipelineRun" context (which holds the
// run's kf.Run execution too), with Events to the artifacts it read and
// wrote, by content (an artifact's uri names its digest in the store).
struct StepRecord {
  std::string name;          // as kf status shows it: "train", "fan(0:a)"
  std::string node;          // Argo's node id, unique in the run
  std::string template_name;
  std::string phase;         // Argo's: Succeeded, Failed, Error, Skipped, Omitted
  bool cached = false;       // its outputs were restored from the step cache: it did not run
  std::vector<ArtifactRecord> artifacts; // inputs and outputs (direction says which), in that order
};

struct EpochRecord {
  int epoch = 0;   // 1-based
  Json values;     // {"loss": 0.41, "accuracy": 0.86, ...} numbers only
  std::int64_t time_ms = 0;
};

struct RunRecord {
  std::string name;        // unique run name, e.g. "demo-train-3"
  std::string project;     // kf.yaml's metadata.name
  std::string kind;        // rendered object's kind: "PyTorchJob", "TFJob", ...
  std::string target;      // "local" or a cluster target name
  std::string state;       // Created | Running | Restarting | Ready (services) | Succeeded | Failed | Stopped
  std::string message;     // why it is in that state (last condition's message)
  Json parameters = Json::object(); // hyperparameters as given
  Json object = Json::object();     // the rendered object that ran
  std::string git_commit;  // "" = not in a git repository
  bool git_dirty = false;
  std::int64_t create_time_ms = 0;  // filled in by start()
  std::int64_t update_time_ms = 0;  // last state change / metric
  std::vector<EpochRecord> epochs;          // get() fills these, in epoch order
  std::vector<ArtifactRecord> artifacts;    // get() fills these, inputs first, then outputs in time order
  Json final_metrics = Json::object();      // the last epoch's values (list() fills this too)
};

class Runs {
public:
  // Opens (creating and migrating to the current schema) DIR/metadata.db.
  // Creates DIR when missing. Throws kf::Error naming the file when it is not
  // a SQLite database or has a newer schema than this kf knows.
  explicit Runs(const std::filesystem::path& db_path);
  ~Runs();
  Runs(const Runs&) = delete;
  Runs& operator=(const Runs&) = delete;

  // Records a new run; throws kf::Error if the name exists. An empty state is
  // "Created"; a state not in RunRecord::state's list throws (set_state too).
  // Methods naming a run that does not exist throw "no run named NAME".
  void start(const RunRecord& run);
  // A name that no run has yet: PREFIX-1, PREFIX-2, ... (the next after the highest used).
  // Reserving is done by start(); callers retry on the "exists" error.
  std::string next_name(const std::string& prefix);
  void set_state(const std::string& run, const std::string& state, const std::string& message);
  // Adds (or replaces) the metrics of one epoch.
  void add_epoch(const std::string& run, const EpochRecord& epoch);
  // Records an artifact and the Event linking it to the run. An artifact with
  // the same uri and sha256 is reused (so two runs on one dataset share it).
  void add_artifact(const std::string& run, const ArtifactRecord& artifact);

  // Records a step of the run (again: replaces its phase and adds its new
  // artifacts). Its artifacts are reused by uri and sha256, as add_artifact's.
  void add_step(const std::string& run, const StepRecord& step);
  void add_steps(const std::string& run, const std::vector<StepRecord>& steps); // in one transaction
  // The run's steps in the order they were recorded (none for a run that is not a pipeline).
  std::vector<StepRecord> steps(const std::string& run) const;

  std::optional<RunRecord> get(const std::string& run) const;  // everything
  // All runs, newest first, without object/epochs/artifacts (final_metrics filled).
  std::vector<RunRecord> list() const;
  // Removes the run, its steps, events and metrics; artifacts no other run uses go too.
  // Returns false if there was no such run.
  bool remove(const std::string& run);

  // Other runs linked through shared artifacts (lineage): the runs that
  // produced this run's inputs and the runs that consumed its outputs.
  struct Link { std::string run; std::string artifact_uri; std::string relation; }; // relation: "produced-input" | "consumed-output"
  std::vector<Link> lineage(const std::string& run) const;

  int schema_version() const;

private:
  std::unique_ptr<Store> m_store;
};

// Where an artifact of a pipeline run came from, step by step: the step
// that wrote it, then each artifact that step read and the step that wrote
// that, and so on (breadth first; an artifact is listed once). `step` is ""
// for an artifact no step of the run wrote (it came from outside).
struct Origin {
  int depth = 0;         // 0: the artifact asked about
  std::string artifact;  // its name ("train.model")
  std::string sha256;
  std::string step;      // the step that wrote it
  bool cached = false;   // that step's outputs came from the step cache
};
std::vector<Origin> origins(const std::vector<StepRecord>& steps, const std::string& sha256);

// sha256 of a file, hex (OpenSSL's EVP); of a directory: sha256 over
// "relative-path\0file-sha256\n" of its regular files in sorted order.
std::string sha256_path(const std::filesystem::path& p);

} // namespace kf::metadata
