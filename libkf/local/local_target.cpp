#include "libkf/local/local_target.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdlib>
#include <thread>

#include <random>

#include "libkf/local/conditions.h"
#include "libkf/local/culler.h"
#include "libkf/local/experiment_status.h"
#include "libkf/local/gpus.h"
#include "libkf/local/lost_supervisor.h"
#include "libkf/local/plan.h"
#include "libkf/local/workflow_engine.h"
#include "libkf/local/process.h"
#include "libkf/local/run_dir.h"
#include "libkf/target/summary.h"
#include "libkf/metadata/runs.h"
#include "libkf/util/clock.h"
#include "libkf/util/dir_watch.h"
#include "libkf/util/error.h"
#include "libkf/util/git.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::local {

namespace stdfs = std::filesystem;

namespace {

constexpr auto k_poll = std::chrono::milliseconds(100);
constexpr auto k_min_look = std::chrono::milliseconds(20);
constexpr const char* k_submitted = "kf.dev/submitted-ms";
constexpr const char* k_run_of = "kf.dev/run-of";

bool executable(const stdfs::path& p) {
  std::error_code ec;
  return stdfs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::int64_t submitted_ms(const Json& object) { // read without trusting the file: list() orders damaged runs too
  return std::atoll(json_text(json_field(json_field(object, "metadata"), "annotations"), k_submitted).c_str());
}

} // namespace

std::string find_runtime(const std::string& name) {
  std::string env_name = name; // kf-trainer -> KF_TRAINER, kf-trainer-cpu -> KF_TRAINER_CPU, kf-server -> KF_SERVER
  for (auto& c : env_name) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (const char* env = std::getenv(env_name.c_str()); env && *env) {
    if (!executable(env)) throw Error(env_name + "=" + env + " is not an executable file");
    return env;
  }
  const stdfs::path bin = self_exe().parent_path();
  for (const auto& p : {bin / name, bin / ".." / "libexec" / "kf" / name, bin / ".." / "runtime" / name,
                        bin / ".." / "runtime" / "server" / name})
    if (executable(p)) return stdfs::weakly_canonical(p).string();
  if (const char* path = std::getenv("PATH"))
    for (const auto& dir : str::split(path, ':'))
      if (!dir.empty() && executable(stdfs::path(dir) / name)) return (stdfs::path(dir) / name).string();
  throw Error(name + " not found beside kf (" + bin.string() + ") or in PATH: build it (cmake --build --preset dev) or set " +
              env_name + " to its path");
}

std::string trainer_for_host(const std::string& trainer, bool host_has_gpus) {
  if (host_has_gpus) return trainer;
  const stdfs::path twin = stdfs::path(trainer).parent_path() / "kf-trainer-cpu";
  return stdfs::path(trainer).filename() == "kf-trainer" && executable(twin) ? twin.string() : trainer;
}

std::string find_trainer() {
  const std::string trainer = find_runtime("kf-trainer");
  if (const char* env = std::getenv("KF_TRAINER"); env && *env) return trainer; // the user's choice, as it is
  return trainer_for_host(trainer, !host_gpus().empty());
}

LocalTarget::LocalTarget(LocalOptions options) : m_o(std::move(options)) {
  if (m_o.supervisor.empty()) m_o.supervisor = {self_exe().string(), "__supervise"};
  m_o.project_dir = stdfs::weakly_canonical(stdfs::absolute(m_o.project_dir));
}

// A run's directory: only ever a name directly under .kf/runs ("", "..",
// "a/b" would make kf delete remove what is not a run).
stdfs::path LocalTarget::run_dir(const std::string& run) const {
  target::check_run_name(run);
  return runs_root(m_o.project_dir) / run;
}

std::string LocalTarget::reserve_run(metadata::Runs& runs, const Json& rendered, const target::SubmitOptions& options) const {
  const std::string kind = rendered.value("kind", "");
  const std::string base = rendered["metadata"].value("name", "");
  const auto head = git::head(m_o.project_dir);
  std::string run;
  // The store proposes the next free number; a concurrent kf may take it
  // first (its directory exists before its record), so then try the ones after.
  if (!options.run_name.empty()) target::check_new_run_name(options.run_name);
  for (int attempt = 0;; ++attempt) {
    if (options.run_name.empty()) {
      const std::string proposed = runs.next_name(base);
      const int n = std::atoi(proposed.substr(base.size() + 1).c_str());
      run = base + "-" + std::to_string(n + attempt);
    } else {
      run = options.run_name;
    }
    std::error_code ec;
    const bool made = stdfs::create_directory(run_dir(run), ec);
    if (made) {
      // Private to its user: logs and status may hold tokens (a notebook's URL).
      stdfs::permissions(run_dir(run), stdfs::perms::owner_all, ec);
      metadata::RunRecord rec;
      rec.name = run;
      rec.project = m_o.project;
      rec.kind = kind;
      rec.target = "local";
      rec.state = "Created";
      rec.message = kind + " " + run + " is created.";
      rec.parameters = options.parameters;
      rec.object = rendered;
      if (head) {
        rec.git_commit = head->commit;
        rec.git_dirty = head->dirty;
      }
      try {
        runs.start(rec);
        break;
      } catch (const Error&) {
        stdfs::remove_all(run_dir(run), ec);
        if (!options.run_name.empty()) throw Error("run " + str::quote(run) + " already exists");
      }
    } else if (!options.run_name.empty()) {
      throw Error("run " + str::quote(run) + " already exists (kf delete " + run + " removes it)");
    }
    if (attempt > 100) throw Error("cannot reserve a run name for " + base + " in " + runs_root(m_o.project_dir).string());
  }
  return run;
}

target::Submitted LocalTarget::submit(const Json& rendered, const target::SubmitOptions& options) {
  const std::string kind = rendered.value("kind", "");
  const std::string base = rendered["metadata"].value("name", "");
  if (!can_run_locally(kind))
    throw Error(kind + " " + str::quote(base) + ": the local target runs " + target::kinds_text(kinds()) + " objects (run " +
                kind + " on a cluster: --target)");
  plan_for(rendered, options, false); // every error about the object before anything is created

  stdfs::create_directories(runs_root(m_o.project_dir));
  metadata::Runs runs(metadata_db(m_o.project_dir));
  const std::string run = reserve_run(runs, rendered, options);
  const RunDir dir{run_dir(run)};
  try {
    Json object = rendered;
    object["metadata"]["name"] = run;
    object["metadata"]["annotations"][k_run_of] = base;
    object["metadata"]["annotations"][k_submitted] = std::to_string(now_ms());
    object["metadata"]["creationTimestamp"] = now_rfc3339();
    const JobPlan plan = plan_for(object, options, true);
    object["status"] = Json::object();
    mark_created(object, now_rfc3339());
    write_json(dir.plan(), to_json(plan));
    write_json(dir.object(), object);
    start_supervisor(dir);
    return {run, object, dir.root.string()};
  } catch (...) {
    std::error_code ec;
    stdfs::remove_all(dir.root, ec);
    try {
      runs.remove(run);
    } catch (...) {
    }
    throw;
  }
}

target::Submitted LocalTarget::hand_over(const RunDir& dir, const std::string& run, const Json& object,
                                         std::optional<FileLock>& lock, const std::string& note,
                                         const std::vector<std::string>& flags) const {
  write_json(dir.object(), object);
  std::error_code ec;
  std::filesystem::remove(dir.local(), ec); // the old supervisor's
  if (!note.empty()) try {
      metadata::Runs(metadata_db(m_o.project_dir)).set_state(run, "Restarting", note);
    } catch (const Error&) {
    }
  lock.reset(); // the new supervisor's to take
  start_supervisor(dir, flags);
  return {run, object, dir.root.string()};
}

void LocalTarget::start_supervisor(const RunDir& dir, const std::vector<std::string>& flags) const {
  std::vector<std::string> argv = m_o.supervisor;
  argv.insert(argv.end(), {"--run-dir", dir.root.string(), "--metadata", metadata_db(m_o.project_dir).string()});
  argv.insert(argv.end(), flags.begin(), flags.end());
  proc::Command daemon;
  daemon.argv = argv;
  daemon.out = daemon.err = proc::Stream::log;
  daemon.log = dir.supervisor_log();
  daemon.daemon = true;
  proc::start(daemon);
}

target::Submitted LocalTarget::resume(const std::string& name, const Json& patch) {
  const std::string run = resolve(name);
  const RunDir dir{run_dir(run)};
  auto object = get(run); // a lost supervisor is recorded as such first
  if (!object) throw Error("run " + str::quote(run) + " does not exist (kf status lists the runs)");
  const std::string kind = object->value("kind", "");
  if (kind == "TrainJob" && !supervisor_was_lost(*object)) return resume_trainjob(run, *object, patch);
  if (restarts_after_lost_supervisor(kind)) return resume_job(run, *object, patch);
  if (kind == "Workflow") return resume_workflow(run, *object, patch);
  if (kind != "Experiment")
    throw UsageError("kf resume continues an Experiment, a Workflow, a suspended TrainJob or a training job whose "
                     "supervisor was lost; a " + kind + " starts again: kf train, kf submit -f");
  std::optional<FileLock> lock;
  lock.emplace(dir.lock(), false);
  if (!lock->locked()) throw UsageError("run " + run + " is still running (kf status " + run + ")");
  const Json& status = (*object)["status"];
  const std::string state = target::state_of(*object);
  std::string reason;
  for (const auto& c : status.value("conditions", Json::array()))
    if (c.value("type", "") == state) reason = c.value("reason", "");
  if (state == "Succeeded" && reason == "ExperimentMaxTrialsReached" && patch.empty())
    throw UsageError("run " + run + " already ran its maxTrialCount trials: give it more, as in kf resume " + run +
                     " --set spec.maxTrialCount=" + std::to_string(json_field(json_field(*object, "spec"), "maxTrialCount").is_number_integer()
                                                                      ? (*object)["spec"]["maxTrialCount"].get<int>() * 2 : 12));
  Json resumed = *object;
  resumed.merge_patch(patch);
  const auto plan = read_json(dir.plan());
  Json check = resumed;
  if (plan) check["spec"]["trialTemplate"]["trialSpec"] = json_field(json_field(*plan, "controller"), "trialSpec");
  check["spec"]["trialTemplate"].erase("configMap");
  try {
    (void)read_experiment(check);
  } catch (const FieldError& e) {
    throw e.of(kind, run);
  }
  // Katib's MarkExperimentStatusRestarting: the end conditions go, Restarting comes.
  remove_condition(resumed, "Succeeded");
  remove_condition(resumed, "Failed");
  resumed["status"].erase("completionTime");
  set_condition(resumed, "Restarting", "ExperimentRestarting", "Experiment " + run + " is resumed", now_rfc3339());
  return hand_over(dir, run, resumed, lock, "resumed");
}

// A suspended TrainJob runs: spec.suspend false (and the patch), the
// Suspended condition False with reason Resumed, as the Trainer has it.
target::Submitted LocalTarget::resume_trainjob(const std::string& run, const Json& object, const Json& patch) {
  const RunDir dir{run_dir(run)};
  if (target::state_of(object) != "Suspended")
    throw UsageError("run " + run + " is not suspended (" + target::summarize(object).state +
                     "); a TrainJob starts again: kf train, kf submit -f");
  if (!patch.empty()) throw UsageError("a suspended TrainJob resumes as it was submitted: kf resume " + run + " takes no --set");
  std::optional<FileLock> lock;
  lock.emplace(dir.lock(), false);
  if (!lock->locked()) throw UsageError("run " + run + " is still starting (kf status " + run + ")");
  Json resumed = object;
  resumed["spec"]["suspend"] = false;
  const std::string now = now_rfc3339();
  for (auto& c : resumed["status"]["conditions"])
    if (c.value("type", "") == "Suspended")
      c = {{"type", "Suspended"}, {"status", "False"}, {"reason", "Resumed"}, {"message", "TrainJob is resumed"},
           {"lastUpdateTime", now}, {"lastTransitionTime", now}};
  return hand_over(dir, run, resumed, lock, "");
}

namespace {
// A run that asks for more GPUs than this machine has is refused now, not
// left Pending; `whose` says whose pods they are ("each trial").
JobPlan fitting_gpus(JobPlan plan, const Json& object, const std::string& whose = "") {
  try {
    check_gpu_demand(gpu_demand(plan.replicas), host_gpus());
  } catch (const Error& e) {
    throw Error(object.value("kind", "") + " " + str::quote(object["metadata"].value("name", "")) + ": " + whose + e.what());
  }
  return plan;
}
} // namespace

JobPlan LocalTarget::plan_for(const Json& object, const target::SubmitOptions& options, bool find_binaries) const {
  if (object.value("kind", "") == "Experiment") return plan_experiment(object, options, find_binaries);
  if (object.value("kind", "") == "Workflow") {
    try {
      return plan_workflow(object, workflow_settings(find_binaries));
    } catch (const FieldError& e) {
      throw e.of("Workflow", object["metadata"].value("name", ""));
    }
  }
  if (object.value("kind", "") == "Notebook") {
    JobPlan plan = plan_notebook(object, notebook_options(object, m_o.project_dir, find_binaries));
    plan.controller = to_json(cull_policy([](const char* name) { return std::getenv(name); }));
    return fitting_gpus(std::move(plan), object);
  }
  if (object.value("kind", "") != "InferenceService")
    return fitting_gpus(plan_job(object, job_options(find_binaries, options.supporting)), object);
  const Json* runtime = nullptr;
  for (const auto& s : options.supporting)
    if (s.value("kind", "") == "ServingRuntime") runtime = &s;
  if (!runtime) throw Error("InferenceService " + str::quote(object["metadata"].value("name", "")) + ": no ServingRuntime given");
  ServiceOptions so{m_o.trainer_image, m_o.server_path, m_o.serve_port};
  if (so.server_path.empty()) so.server_path = find_binaries ? find_runtime("kf-server") : "kf-server";
  if (so.port == 0) so.port = find_binaries ? free_port() : 8080;
  return fitting_gpus(plan_service(object, *runtime, so), object);
}

namespace {
// The (Cluster)TrainingRuntimes among objects given with a run.
std::vector<Json> training_runtimes(const std::vector<Json>& supporting) {
  std::vector<Json> out;
  for (const auto& s : supporting)
    if (s.value("kind", "") == "TrainingRuntime" || s.value("kind", "") == "ClusterTrainingRuntime") out.push_back(s);
  return out;
}
} // namespace

PlanOptions LocalTarget::job_options(bool find_binaries, const std::vector<Json>& supporting) const {
  PlanOptions po{m_o.trainer_image, m_o.trainer_path, free_port, training_runtimes(supporting)};
  for (auto& r : builtin_training_runtimes()) po.training_runtimes.push_back(std::move(r));
  if (po.trainer_path.empty()) {
    po.trainer_path = "kf-trainer"; // not built: a replica that runs it fails, saying so
    if (find_binaries) try {
        po.trainer_path = find_trainer();
      } catch (const Error&) {
      }
  }
  return po;
}

// An Experiment's plan is its controller's settings: the trial template
// (a ConfigMap's, resolved now), the seed of its suggestions, the trainer.
// Every trial must be a job this machine can run: one is planned now.
JobPlan LocalTarget::plan_experiment(const Json& object, const target::SubmitOptions& options, bool find_binaries) const {
  const std::string name = object["metadata"].value("name", "");
  ExperimentSpec spec;
  try {
    spec = read_experiment(object, options.supporting);
  } catch (const FieldError& e) {
    throw e.of("Experiment", name);
  }
  tune::Assignment sample;
  for (const auto& p : spec.space.parameters)
    sample.push_back(p.list.empty() ? metric_text(p.min) : p.list.front());
  try {
    fitting_gpus(plan_job(trial_object(spec, name + "-trial", "", sample), job_options(false, options.supporting)), object,
                 "each trial ");
  } catch (const FieldError& e) {
    throw FieldError("spec.trialTemplate.trialSpec." + e.path(), e.message()).of("Experiment", name);
  }
  JobPlan plan;
  plan.kind = "Experiment";
  plan.name = name;
  std::random_device rd;
  plan.controller = {{"seed", (std::uint64_t{rd()} << 32) | rd()},
                     {"trialSpec", spec.trial_spec},
                     {"trainerImage", m_o.trainer_image},
                     {"trainerPath", job_options(find_binaries).trainer_path},
                     {"project", m_o.project},
                     {"trainingRuntimes", training_runtimes(options.supporting)}};
  return plan;
}

std::string LocalTarget::resolve(const std::string& run) const {
  if (run != "@latest") return run;
  const auto all = list();
  if (all.empty()) throw Error("no runs yet in " + runs_root(m_o.project_dir).string() + " (kf train starts one)");
  return all.front();
}

std::optional<Json> LocalTarget::get(const std::string& name) const {
  const std::string run = resolve(name);
  const RunDir dir{run_dir(run)};
  auto object = read_run_object(dir);
  if (!object) return std::nullopt;
  // A supervisor that died without finishing (kill -9, a reboot) leaves a
  // run that looks alive: whoever notices records it, holding the lock.
  std::error_code ec;
  if (!target::is_finished(*object) && stdfs::exists(dir.local(), ec) && !is_locked(dir.lock())) {
    FileLock lock(dir.lock(), false);
    if (lock.locked()) {
      object = read_json(dir.object());
      if (object && !target::is_finished(*object)) {
        record_lost_supervisor(dir, run, *object);
        write_json(dir.object(), *object);
        try {
          metadata::Runs(metadata_db(m_o.project_dir)).set_state(run, "Failed", "lost its supervisor");
        } catch (const Error&) {
        }
      }
    }
  }
  return object;
}

std::vector<std::string> LocalTarget::list() const {
  std::vector<std::pair<std::int64_t, std::string>> runs;
  std::error_code ec;
  const auto root = runs_root(m_o.project_dir);
  if (!stdfs::is_directory(root, ec)) return {};
  for (const auto& e : stdfs::directory_iterator(root, ec)) {
    if (!e.is_directory()) continue;
    try {
      if (auto object = read_json(RunDir{e.path()}.object()))
        runs.emplace_back(submitted_ms(*object), e.path().filename().string());
    } catch (const Error&) {
      // a run being created or removed right now
    }
  }
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second > b.second; });
  std::vector<std::string> names;
  for (auto& r : runs) names.push_back(std::move(r.second));
  return names;
}

std::vector<std::string> LocalTarget::kinds() const { return local_kinds(); }

void LocalTarget::watch(const std::string& name, const target::WatchOptions& options,
                        const std::function<bool(const Json&)>& on_change) const {
  const std::string run = resolve(name);
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  Json last_status, last_details;
  // The supervisor's write of object.json or local.json wakes the loop; it
  // looks at most every k_min_look, and every k_poll without a change.
  DirWatch changes(run_dir(run));
  for (bool first = true;; first = false) {
    const auto looked = std::chrono::steady_clock::now();
    auto object = get(run);
    if (!object) throw Error("run " + str::quote(run) + " does not exist");
    Json now_details = details(run);
    if (first || (*object)["status"] != last_status || now_details != last_details) {
      last_status = (*object)["status"];
      last_details = std::move(now_details);
      if (!on_change(*object)) return;
    }
    const auto summary = target::summarize(*object);
    if (summary.settled) return;
    if (options.keep_going && !options.keep_going()) return;
    if (options.timeout.count() > 0 && std::chrono::steady_clock::now() > deadline)
      throw Error("timed out after " + std::to_string(options.timeout.count() / 1000) + "s waiting for run " + run +
                  " (it is " + summary.state + "; kf status " + run + " shows more)");
    changes.wait(k_poll);
    std::this_thread::sleep_until(looked + k_min_look);
  }
}

void LocalTarget::watch_runs(const std::function<bool()>& on_event, const std::function<bool()>& keep_going) const {
  while (keep_going() && on_event())
    for (int i = 0; i < 5 && keep_going(); ++i) std::this_thread::sleep_for(k_poll);
}

Json LocalTarget::details(const std::string& name) const {
  try {
    auto j = read_json(RunDir{run_dir(resolve(name))}.local());
    return j ? *j : Json::object();
  } catch (const Error&) {
    return Json::object(); // being replaced right now: next time
  }
}

namespace {

void stop_supervisor(const RunDir& dir) {
  std::optional<Json> local;
  try {
    local = read_json(dir.local());
  } catch (const Error&) {
  }
  const int pid = local && local->contains("supervisor") ? (*local)["supervisor"].value("pid", 0) : 0;
  if (pid > 0 && is_locked(dir.lock())) {
    ::kill(pid, SIGTERM);
    FileLock wait_for_exit(dir.lock(), true); // the supervisor holds it until it has stopped every replica
  }
}

} // namespace

bool LocalTarget::stop(const std::string& name) {
  const std::string run = resolve(name);
  const RunDir dir{run_dir(run)};
  std::error_code ec;
  if (!stdfs::exists(dir.object(), ec)) return false;
  (void)get(run); // a lost supervisor's replicas still running are stopped (lost_supervisor.h)
  // Wait for a supervisor that is still starting to take the lock.
  for (int i = 0; i < 50 && !stdfs::exists(dir.local(), ec) && !target::is_finished(*read_json(dir.object())); ++i)
    std::this_thread::sleep_for(k_poll);
  stop_supervisor(dir);
  // A supervisor killed just before (kill -9, its lock not yet let go when
  // get() looked) stopped nothing: now that it is gone, get() sees it lost.
  (void)get(run);
  // An Experiment's trials have supervisors of their own (its controller
  // stops them, but it may be gone: kill -9).
  for (const auto& e : stdfs::directory_iterator(dir.root / "trials", ec)) stop_supervisor(RunDir{e.path()});
  return true;
}

bool LocalTarget::remove(const std::string& name) {
  const std::string run = resolve(name);
  const bool existed = stop(run);
  std::vector<std::string> trials; // an Experiment's trials are recorded runs too
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(run_dir(run) / "trials", ec)) trials.push_back(e.path().filename().string());
  stdfs::remove_all(run_dir(run), ec);
  if (ec) throw Error("cannot remove " + run_dir(run).string() + ": " + ec.message());
  bool recorded = false;
  try {
    metadata::Runs runs(metadata_db(m_o.project_dir));
    recorded = runs.remove(run);
    for (const auto& t : trials) runs.remove(t);
  } catch (const Error&) {
    if (!existed) throw;
  }
  return existed || recorded;
}

} // namespace kf::local
