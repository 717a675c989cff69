// Container and script templates (workflow_engine.h): a pod is a host
// process. Its declared absolute paths (input and output artifacts, output
// parameters' valueFrom.path) and /tmp are its own under bubblewrap: a
// directory of the node's (nodes/<id>/fs/) bound where the path is, so two
// parallel steps that write /tmp/hello_world.txt never meet. stdout is
// outputs.result (logs/<id>.log); stderr goes to logs/<id>.err. Before a
// pod starts, its cache key (the sha256 of the resolved template, its
// inputs and the executable it runs) is looked up in the project's cache;
// a hit restores its outputs without running it.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "libkf/local/gpus.h"
#include "libkf/local/process.h"
#include "libkf/local/workflow_engine.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json_field.h"
#include "libkf/util/sha256.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"
#include "libkf/workflow/duration.h"
#include "libkf/workflow/expr.h"

namespace kf::local {

namespace stdfs = std::filesystem;
using workflow::Scope;
using workflow::Vars;

namespace {

// The absolute paths a template declares (what it reads and writes).
std::vector<std::string> declared_paths(const Json& tmpl) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& p) {
    if (!p.empty() && p[0] == '/') out.push_back(stdfs::path(p).lexically_normal().string());
  };
  for (const auto& a : json_field(json_field(tmpl, "inputs"), "artifacts")) add(a.value("path", ""));
  for (const auto& a : json_field(json_field(tmpl, "outputs"), "artifacts")) add(a.value("path", ""));
  for (const auto& p : json_field(json_field(tmpl, "outputs"), "parameters")) add(json_text(json_field(p, "valueFrom"), "path"));
  return out;
}

bool cache_allowed(const Json& wf, const Json& tmpl) {
  const auto off = [](const Json& md) { return json_text(json_field(md, "annotations"), "kf.dev/cache") == "false"; };
  return !off(json_field(wf, "metadata")) && !off(json_field(tmpl, "metadata"));
}

bool under_tmp(const std::string& p) { return p == "/tmp" || str::starts_with(p, "/tmp/"); }

// What a step printed or wrote, as a parameter's value: without its last
// newlines, and valid UTF-8 (a JSON string), each bad byte U+FFFD.
std::string output_text(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return json::parse(Json(s).dump(-1, ' ', false, Json::error_handler_t::replace)).get<std::string>();
}

std::string sha256_hex(const std::string& s) {
  Sha256 h;
  h.update(s);
  return h.hex();
}

// "path: old -> new" for every leaf that differs between two documents.
void differences(const Json& a, const Json& b, const std::string& at, std::vector<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys)
      differences(a.contains(k) ? a[k] : Json(), b.contains(k) ? b[k] : Json(), at.empty() ? k : at + "." + k, out);
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (std::size_t i = 0; i < a.size(); ++i) differences(a[i], b[i], at + "[" + std::to_string(i) + "]", out);
    return;
  }
  if (a == b) return;
  const auto show = [](const Json& v) {
    std::string s = v.is_null() ? "(none)" : v.is_string() ? str::quote(v.get<std::string>()) : v.dump();
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
  };
  out.push_back(at + ": " + show(a) + " -> " + show(b));
}

class HostProcesses final : public PodProcesses {
public:
  pid_t start(const proc::Command& command) override { return proc::start(command); }
  void terminate(pid_t pid, std::chrono::milliseconds grace) override { proc::terminate(pid, grace); }
  void kill(pid_t pid) override { ::kill(-pid, SIGKILL); }
};

} // namespace

PodProcesses& host_processes() {
  static HostProcesses processes;
  return processes;
}

Scope WorkflowEngine::pod_scope(const Call& c, const Json& tmpl) const {
  Scope s;
  s["pod.name"] = node_id(c.name);
  s["node.name"] = c.name;
  if (!c.retries.empty()) s["retries"] = c.retries;
  for (const auto& p : json_field(json_field(tmpl, "outputs"), "parameters"))
    if (const std::string path = json_text(json_field(p, "valueFrom"), "path"); !path.empty())
      s["outputs.parameters." + p.value("name", "") + ".path"] = path;
  for (const auto& a : json_field(json_field(tmpl, "outputs"), "artifacts"))
    if (a.contains("path")) s["outputs.artifacts." + a.value("name", "") + ".path"] = a.value("path", "");
  return s;
}

// The process of a container or script template, as the local target runs
// a container (container.h): kf's trainer image runs the built kf-trainer (find_trainer).
static ContainerProcess pod_process(const Json& tmpl, const ContainerOptions& options, const stdfs::path& script) {
  if (tmpl.contains("script")) {
    Json c = tmpl["script"];
    c.erase("source");
    ContainerProcess p = container_process(c, "script", options);
    p.argv.push_back(script.string());
    return p;
  }
  return container_process(tmpl["container"], "container", options);
}

// A pod's resolved template and its cache key: once per node (a pod held
// back by parallelism keeps them in m_waiting); "" or kf::Error's text.
std::string WorkflowEngine::prepare_pod(const Call& c, const Json& tmpl, const Scope& inputs, const Json& inputs_record, Pod& pod) {
  const Scope ps = pod_scope(c, tmpl);
  try {
    pod.tmpl = workflow::substitute_all(tmpl, Vars{&ps, &inputs, &m_global}, false);
  } catch (const Error& e) {
    return e.what();
  }
  const Json& resolved = pod.tmpl;
  Json t = resolved;
  for (const char* k : {"name", "metadata", "memoize", "retryStrategy", "timeout", "activeDeadlineSeconds", "parallelism"}) t.erase(k);
  pod.cache_parts = {{"template", t}, {"inputs", inputs_record}};
  try {
    const ContainerProcess p = pod_process(resolved, m_settings.container, "script");
    pod.gpus = p.gpus;
    std::string exe = p.argv.empty() ? "" : find_command(p.argv[0], std::getenv("PATH") ? std::getenv("PATH") : "");
    struct stat st{};
    if (!exe.empty() && ::stat(exe.c_str(), &st) == 0)
      pod.cache_parts["executable"] = {{"path", exe}, {"size", st.st_size}, {"mtime", st.st_mtim.tv_sec}};
  } catch (const Error&) { // the start says what is wrong with it
  }
  pod.cache_key = "sha256:" + sha256_hex(pod.cache_parts.dump());
  if (const Json& memo = json_field(resolved, "memoize"); memo.is_object() && memo.contains("key"))
    pod.cache_key = "sha256:" + sha256_hex("memoize\n" + json_text(json_field(json_field(memo, "cache"), "configMap"), "name") + "\n" +
                                           workflow::to_text(memo["key"]));
  return "";
}

Json* WorkflowEngine::execute_pod(const Call& c, const Json& tmpl, const std::string& tmpl_name, const Scope& inputs,
                                  const Json& inputs_record) {
  Json* n = find(c.name);
  if (n && (fulfilled(*n) || m_running.count(n->value("id", "")))) return n;
  Pod pod;
  if (const auto w = n ? m_waiting.find(n->value("id", "")) : m_waiting.end(); w != m_waiting.end()) {
    pod = std::move(w->second);
    m_waiting.erase(w);
  } else if (const std::string error = prepare_pod(c, tmpl, inputs, inputs_record, pod); !error.empty()) {
    return error_node(c, "Pod", error);
  }
  if (!n) {
    n = &init_node(c.name, c.display, "Pod", tmpl_name, c.boundary, "Pending");
    if (!inputs_record.empty()) (*n)["inputs"] = inputs_record;
    if (cache_hit(*n, pod.cache_key, pod.tmpl)) return n;
    if (m_settings.cache_enabled && cache_allowed(m_wf, pod.tmpl)) try {
        stdfs::create_directories(m_dir.root / "why");
        fs::write_file_atomic(m_dir.root / "why" / (n->value("id", "") + ".json"), record_why(*n, pod).dump(2));
      } catch (const std::exception&) {
      }
  }
  pod.node_id = n->value("id", "");
  const Json& spec = m_wf["spec"];
  if (m_stopping || (spec.contains("parallelism") && static_cast<long long>(m_pods.size()) >= json_field(spec, "parallelism").get<long long>())) {
    m_waiting[pod.node_id] = std::move(pod);
    return n;
  }
  if (!take_gpus(*n, pod)) {
    if (!fulfilled(*n)) m_waiting[pod.node_id] = std::move(pod);
    return n;
  }
  start_pod(*n, pod);
  return find(c.name);
}

// The GPUs the pod's container asks for, handed out as the NVIDIA device
// plugin does (gpus.h). False while other pods hold them (the node stays
// Pending with the scheduler's message) or when it asks for more than this
// machine has, or the lock files fail (the node is an Error).
bool WorkflowEngine::take_gpus(Json& node, Pod& pod) {
  if (pod.gpus == 0 || pod.gpu_lease) return true;
  const auto gpus = host_gpus();
  if (gpus.empty()) return true; // no GPUs: it runs without, as on a machine kf-trainer finds none
  try {
    check_gpu_demand(GpuDemand{{pod.node_id}, {pod.gpus}, pod.gpus}, gpus);
    pod.gpu_lease = GpuLease::try_take(gpus, pod.gpus, gpu_lock_dir());
  } catch (const Error& e) {
    mark(node, "Error", std::string("its pod ") + e.what());
    return false;
  }
  if (pod.gpu_lease) return true;
  if (const std::string busy = gpus_busy_message(pod.gpus, gpus); node.value("message", "") != busy) mark(node, "Pending", busy);
  return false;
}

void WorkflowEngine::start_pod(Json& node, Pod& pod) {
  const std::string id = node.value("id", "");
  const Json& tmpl = pod.tmpl;
  try {
    const stdfs::path ndir = m_dir.root / "nodes" / id;
    stdfs::create_directories(ndir);
    stdfs::create_directories(m_dir.logs());
    const auto paths = declared_paths(tmpl);
    for (const auto& p : paths)
      if (p == "/") throw Error("path /: a step's path must name a file or directory under the root, not the root itself");
    if (!paths.empty() && !m_settings.bwrap.empty()) {
      pod.root = ndir / "fs";
      stdfs::create_directories(pod.root / "tmp");
    } else {
      for (const auto& p : paths)
        if (!under_tmp(p))
          throw Error("path " + p + ": a step's own paths outside /tmp need bubblewrap (apt-get install bubblewrap), "
                      "which gives each step its private view of them");
    }
    for (const auto& a : json_field(json_field(node, "inputs"), "artifacts")) {
      const stdfs::path hp = host_path(pod, a.value("path", ""));
      if (a.contains("local")) m_store.get(json_text(a["local"], "key"), hp);
      else if (a.contains("raw")) {
        stdfs::create_directories(hp.parent_path());
        fs::write_file_atomic(hp, json_text(a["raw"], "data"));
      }
    }
    const stdfs::path script = ndir / "script";
    if (tmpl.contains("script")) // executable, as Argo writes it: `sh -c SCRIPT` runs it too
      fs::write_file_atomic(script, json_text(tmpl["script"], "source"), stdfs::perms::owner_all | stdfs::perms::group_read |
                                                                           stdfs::perms::group_exec | stdfs::perms::others_read |
                                                                           stdfs::perms::others_exec);
    const ContainerProcess p = pod_process(tmpl, m_settings.container, script);
    ReplicaPlan as_replica; // the container's env, with the devices it was given
    as_replica.name = id;
    as_replica.env = p.env;
    as_replica.gpus = pod.gpu_lease ? pod.gpus : 0;
    if (pod.gpu_lease) hand_out_gpus({&as_replica, 1}, gpu_demand({&as_replica, 1}), *pod.gpu_lease);
    proc::Env env = base_environment();
    for (const auto& [k, v] : as_replica.env) set_env(env, k, v);
    set_env(env, "ARGO_CONTAINER_NAME", "main");
    set_env(env, "ARGO_NODE_ID", id);
    std::string path;
    for (const auto& [k, v] : env)
      if (k == "PATH") path = v;
    if (p.argv.empty() || find_command(p.argv[0], path).empty())
      throw Error("image " + str::quote(p.image) + ": command " + str::quote(p.argv.empty() ? "" : p.argv[0]) +
                  " not found on this machine (the local target runs the container's command on this machine; install it or give its path)");
    const stdfs::path cwd = p.working_dir.empty() ? m_dir.root : stdfs::path(p.working_dir);
    proc::Command cmd;
    cmd.argv = p.argv;
    if (!pod.root.empty()) {
      pod.shared = {cwd, m_dir.root, m_settings.artifacts.parent_path().parent_path(), find_command(p.argv[0], path)};
      cmd.argv = sandbox_argv(pod, cwd);
      cmd.argv.insert(cmd.argv.end(), p.argv.begin(), p.argv.end());
    } else {
      cmd.cwd = cwd;
    }
    cmd.env = std::move(env);
    cmd.out = cmd.err = proc::Stream::log;
    cmd.log = m_dir.logs() / (id + ".log");
    cmd.err_log = m_dir.logs() / (id + ".err");
    cmd.own_group = true;
    if (pod.gpu_lease) cmd.keep_fds = pod.gpu_lease->fds(); // held while its processes are, however they end
    const pid_t pid = m_processes.start(cmd);
    // With its start time: a pid is reused, and a new operator kills what the pid file names.
    fs::write_file_atomic(ndir / "pid", std::to_string(pid) + " " + std::to_string(process_start_ticks(pid)));
    const Json& deadline = tmpl.contains("activeDeadlineSeconds") ? tmpl["activeDeadlineSeconds"] : json_field(tmpl, "timeout");
    if (!deadline.is_null())
      pod.deadline = Clock::now() + std::chrono::milliseconds(static_cast<long long>(workflow::parse_duration(workflow::to_text(deadline)) * 1000));
    pod.pid = pid;
    m_running.insert(pod.node_id);
    m_pods[pid] = pod;
    mark(node, "Running");
  } catch (const Error& e) {
    mark(node, "Error", e.what());
  } catch (const stdfs::filesystem_error& e) {
    mark(node, "Error", e.what());
  }
}

// bwrap over this machine's root, top-level entry by entry (so that a new
// top-level directory such as /kf can be made in the view), with /tmp and
// the directories holding the declared paths the node's own.
std::vector<std::string> WorkflowEngine::sandbox_argv(const Pod& pod, const stdfs::path& cwd) const {
  std::vector<std::string> argv = {m_settings.bwrap, "--die-with-parent"};
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator("/", ec)) {
    const std::string name = e.path().filename().string();
    if (name == "tmp" || name == "proc" || name == "dev") continue;
    if (e.is_symlink(ec)) argv.insert(argv.end(), {"--symlink", stdfs::read_symlink(e.path(), ec).string(), e.path().string()});
    else argv.insert(argv.end(), {"--bind", e.path().string(), e.path().string()});
  }
  argv.insert(argv.end(), {"--dev-bind", "/dev", "/dev", "--bind", "/proc", "/proc", "--bind", (pod.root / "tmp").string(), "/tmp"});
  // What the step must still see of this machine's /tmp: its working
  // directory, the run, the project, its executable (a clone or build there).
  std::set<std::string> shared;
  for (const auto& p : pod.shared) {
    const stdfs::path a = p.lexically_normal();
    auto it = a.begin();
    if (a.is_absolute() && ++it != a.end() && *it == "tmp" && ++it != a.end()) shared.insert((stdfs::path("/tmp") / *it).string());
  }
  for (const auto& s : shared)
    if (stdfs::exists(s, ec)) argv.insert(argv.end(), {"--bind", s, s});
  std::set<std::string> mounts;
  for (const auto& p : declared_paths(pod.tmpl)) {
    if (under_tmp(p)) continue;
    const stdfs::path path(p);
    const stdfs::path top = stdfs::path("/") / *std::next(path.begin());
    mounts.insert(!stdfs::exists(top, ec) || path.parent_path() == "/" ? top.string() : path.parent_path().string());
  }
  std::string last;
  for (const auto& m : mounts) { // sorted: a parent comes before what is under it
    if (!last.empty() && str::starts_with(m, last + "/")) continue;
    last = m;
    stdfs::create_directories(pod.root / stdfs::path(m).relative_path());
    argv.insert(argv.end(), {"--bind", (pod.root / stdfs::path(m).relative_path()).string(), m});
  }
  argv.insert(argv.end(), {"--chdir", cwd.string(), "--"});
  return argv;
}

stdfs::path WorkflowEngine::host_path(const Pod& pod, const std::string& path) const {
  const stdfs::path p = stdfs::path(path).lexically_normal(); // "/../x" is "/x", as in the step's view
  if (p.is_relative()) {
    if (!p.empty() && *p.begin() == "..") throw Error("path " + str::quote(path) + " leaves the run's directory");
    return m_dir.root / p;
  }
  return pod.root.empty() ? p : pod.root / p.relative_path();
}

void WorkflowEngine::exited(pid_t pid, int exit_code) {
  const auto it = m_pods.find(pid);
  if (it == m_pods.end()) return;
  Pod pod = std::move(it->second);
  m_pods.erase(it);
  m_running.erase(pod.node_id);
  // What the step left running ends with it, as a container's processes end
  // with its main one (and let go of the step's GPUs).
  m_processes.kill(pid);
  finish_pod(pod, exit_code);
}

void WorkflowEngine::finish_pod(Pod& pod, int exit_code) {
  Json& node = m_nodes[pod.node_id];
  std::error_code ec;
  stdfs::remove(m_dir.root / "nodes" / pod.node_id / "pid", ec);
  if (m_stopping) {
    mark(node, "Failed", m_stop_message);
    return;
  }
  if (pod.timed_out) {
    mark(node, "Failed", "Pod was active on the node longer than the specified deadline");
    return;
  }
  try {
    collect_outputs(node, pod, exit_code);
  } catch (const Error& e) {
    mark(node, "Error", e.what());
    return;
  } catch (const stdfs::filesystem_error& e) {
    mark(node, "Error", e.what());
    return;
  }
  if (exit_code != 0) {
    mark(node, "Failed", "Error (exit code " + std::to_string(exit_code) + ")");
    return;
  }
  mark(node, "Succeeded");
  cache_store(node, pod);
}

void WorkflowEngine::collect_outputs(Json& node, const Pod& pod, int exit_code) {
  Json out = Json::object();
  std::error_code ec;
  const stdfs::path log = m_dir.logs() / (pod.node_id + ".log");
  if (stdfs::file_size(log, ec) <= 256 * 1024 && !ec) out["result"] = output_text(fs::read_file(log));
  out["exitCode"] = std::to_string(exit_code);
  const Json& declared = json_field(pod.tmpl, "outputs");
  for (const auto& p : json_field(declared, "parameters")) {
    const std::string name = p.value("name", "");
    const Json& vf = json_field(p, "valueFrom");
    std::optional<std::string> value;
    if (vf.contains("path")) {
      const stdfs::path hp = host_path(pod, vf.value("path", ""));
      if (stdfs::is_regular_file(hp, ec)) value = output_text(fs::read_file(hp));
      else if (vf.contains("default")) value = workflow::to_text(vf["default"]);
      else if (exit_code == 0) throw Error("output parameter " + name + ": " + vf.value("path", "") + " does not exist");
    } else if (p.contains("value")) {
      value = workflow::to_text(p["value"]);
    } else if (vf.contains("default")) {
      value = workflow::to_text(vf["default"]);
    }
    if (!value) continue;
    Json rec = {{"name", name}, {"value", *value}};
    if (p.contains("globalName")) {
      rec["globalName"] = p["globalName"];
      m_global["workflow.outputs.parameters." + p.value("globalName", "")] = *value;
      m_wf["status"]["outputs"]["parameters"].push_back(rec);
    }
    out["parameters"].push_back(rec);
  }
  for (const auto& a : json_field(declared, "artifacts")) {
    const std::string name = a.value("name", "");
    const stdfs::path hp = host_path(pod, a.value("path", ""));
    if (!stdfs::exists(hp, ec)) {
      if (a.value("optional", false) || exit_code != 0) continue;
      throw Error("output artifact " + name + ": " + a.value("path", "") + " does not exist");
    }
    const auto stored = m_store.put(hp);
    Json rec = {{"name", name}, {"path", a.value("path", "")}, {"local", {{"key", stored.key}, {"type", stored.type}, {"size", stored.size}}}};
    if (a.contains("archive")) rec["archive"] = a["archive"];
    out["artifacts"].push_back(rec);
  }
  node["outputs"] = out;
}

// --- the cache ------------------------------------------------------------------

bool WorkflowEngine::cache_hit(Json& node, const std::string& key, const Json& tmpl) {
  if (!m_settings.cache_enabled || !cache_allowed(m_wf, tmpl)) return false;
  const std::string cache_name = json_text(json_field(json_field(json_field(tmpl, "memoize"), "cache"), "configMap"), "name");
  node["memoizationStatus"] = {{"hit", false}, {"key", key}, {"cacheName", cache_name.empty() ? "kf" : cache_name}};
  const stdfs::path file = m_settings.cache / "entries" / (key.substr(7) + ".json");
  std::error_code ec;
  if (!stdfs::exists(file, ec)) return false;
  const Json entry = json::parse_or_discarded(fs::read_file(file));
  if (entry.is_discarded()) return false;
  if (const Json& memo = json_field(tmpl, "memoize"); memo.contains("maxAge")) {
    const double age = static_cast<double>(now_ms() - entry.value("created", std::int64_t{0})) / 1000.0;
    if (age > workflow::parse_duration(workflow::to_text(memo["maxAge"]))) return false;
  }
  for (const auto& a : json_field(json_field(entry, "outputs"), "artifacts"))
    if (!m_store.has(json_text(json_field(a, "local"), "key"))) return false;
  node["outputs"] = entry["outputs"];
  node["memoizationStatus"]["hit"] = true;
  mark(node, "Succeeded", "cached: ran in " + entry.value("run", "") + " (" + entry.value("node", "") + ")");
  return true;
}

void WorkflowEngine::cache_store(const Json& node, const Pod& pod) {
  if (!m_settings.cache_enabled || !cache_allowed(m_wf, pod.tmpl)) return;
  try {
    stdfs::create_directories(m_settings.cache / "entries");
    const Json entry = {{"key", pod.cache_key}, {"run", m_name}, {"node", node.value("displayName", "")},
                        {"created", now_ms()}, {"outputs", node["outputs"]}};
    fs::write_file_atomic(m_settings.cache / "entries" / (pod.cache_key.substr(7) + ".json"), entry.dump());
  } catch (const std::exception&) { // a cache that cannot be written is a cache that misses
  }
}

// Why a node ran: what differs from the last run of the same node of the
// same workflow (its name without the run's), kept in the cache's last/.
Json WorkflowEngine::record_why(const Json& node, const Pod& pod) {
  const std::string base = json_text(json_field(json_field(m_wf, "metadata"), "annotations"), "kf.dev/run-of");
  const std::string name = node.value("name", "");
  const std::string identity = (base.empty() ? m_name : base) + name.substr(std::min(name.size(), m_name.size()));
  const stdfs::path file = m_settings.cache / "last" / (sha256_hex(identity) + ".json");
  Json why = {{"node", name}, {"key", pod.cache_key}};
  std::error_code ec;
  if (stdfs::exists(file, ec)) {
    const Json last = json::parse_or_discarded(fs::read_file(file));
    std::vector<std::string> changed;
    if (!last.is_discarded()) differences(last.value("parts", Json()), pod.cache_parts, "", changed);
    why["previousRun"] = last.is_discarded() ? "" : last.value("run", "");
    why["changed"] = changed;
  }
  try {
    stdfs::create_directories(file.parent_path());
    fs::write_file_atomic(file, Json{{"run", m_name}, {"parts", pod.cache_parts}}.dump());
  } catch (const std::exception&) {
  }
  return why;
}

void WorkflowEngine::check_deadlines() {
  const auto now = Clock::now();
  for (auto& [pid, pod] : m_pods)
    if (!pod.timed_out && now >= pod.deadline) {
      pod.timed_out = true;
      m_processes.kill(pid);
    }
}

void WorkflowEngine::stop(const std::string& message, std::chrono::milliseconds grace, const std::string& phase) {
  m_stopping = true;
  m_stop_message = message;
  for (auto& [pid, pod] : m_pods) m_processes.terminate(pid, grace);
  auto pods = std::move(m_pods);
  m_pods.clear();
  m_running.clear();
  m_waiting.clear();
  for (auto& [pid, pod] : pods) finish_pod(pod, 143);
  for (auto& [id, n] : m_nodes)
    if (!fulfilled(n)) mark(n, "Failed", message);
  Json& status = m_wf["status"];
  status["phase"] = phase;
  status["message"] = message;
  status["finishedAt"] = now_rfc3339();
  m_changed = true;
}

// A pod that was running when the last operator ended (kill -9) is started
// again: its process group, if it is still there, is stopped first.
void WorkflowEngine::restart_lost_pods() {
  for (auto& [id, n] : m_nodes) {
    if (n.value("type", "") != "Pod" || fulfilled(n)) continue;
    const stdfs::path pid_file = m_dir.root / "nodes" / id / "pid";
    std::error_code ec;
    if (stdfs::exists(pid_file, ec)) {
      std::istringstream recorded(fs::read_file(pid_file));
      pid_t pid = 0;
      std::uint64_t ticks = 0;
      recorded >> pid;
      // Only while the pid is still the pod's process (a file without the start time: an older kf's).
      const bool same = !(recorded >> ticks) || (ticks != 0 && process_start_ticks(pid) == ticks);
      if (pid > 1 && same) m_processes.kill(pid);
      stdfs::remove(pid_file, ec);
    }
    n["phase"] = "Pending";
    n["message"] = "restarted: the operator running it ended";
  }
}

} // namespace kf::local
