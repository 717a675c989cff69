#include "libkf/local/plan.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "libkf/local/container.h"
#include "libkf/render/schema.h"
#include "libkf/target/target.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

struct KindInfo {
  const char* kind;
  const char* specs;      // the replica specs field
  const char* container;  // the container the operator configures
  const char* default_policy;
  std::vector<std::string> order; // replica types in rank order
};

const KindInfo* kind_info(const std::string& kind) {
  static const KindInfo k_kinds[] = {
      {"PyTorchJob", "pytorchReplicaSpecs", "pytorch", "OnFailure", {"Master", "Worker"}},
      {"TFJob", "tfReplicaSpecs", "tensorflow", "Never", {"Chief", "Master", "Worker", "PS", "Evaluator"}},
  };
  for (const auto& k : k_kinds)
    if (kind == k.kind) return &k;
  return nullptr;
}

struct ReplicaGroup {
  std::string type;
  int replicas = 0;
  std::string policy;
  ContainerProcess process;
};

ContainerOptions container_options(const PlanOptions& o) { return {o.trainer_image, o.trainer_path}; }

ReplicaGroup read_group(const std::string& prefix, const std::string& type, const Json& spec, const KindInfo& k,
                        const PlanOptions& o) {
  const std::string at = prefix + "." + type;
  ReplicaGroup g;
  g.type = type;
  // plan_job checked the types against the CRD; a null reads as absent.
  const Json& replicas = json_field(spec, "replicas");
  g.replicas = replicas.is_number_integer() ? replicas.get<int>() : 1;
  if (g.replicas < 0) throw FieldError(at + ".replicas", "must not be negative");
  g.policy = spec.contains("restartPolicy") ? json_text(spec, "restartPolicy") : std::string(k.default_policy);
  if (g.policy != "OnFailure" && g.policy != "Never" && g.policy != "Always" && g.policy != "ExitCode")
    throw FieldError(at + ".restartPolicy", str::quote(g.policy) + " is not OnFailure, Never, Always or ExitCode");
  const Json& containers = json_field(json_field(json_field(spec, "template"), "spec"), "containers");
  if (!containers.is_array() || containers.empty()) throw FieldError(at + ".template.spec.containers", "no containers");
  for (std::size_t i = 0; i < containers.size(); ++i)
    if (json_text(containers[i], "name") == k.container) {
      g.process = container_process(containers[i], at + ".template.spec.containers[" + std::to_string(i) + "]",
                                    container_options(o));
      return g;
    }
  throw FieldError(at + ".template.spec.containers",
                   "no container named " + str::quote(k.container) + " (the training operator runs that one)");
}

ReplicaPlan replica_of(const ReplicaGroup& g, int index) {
  return replica_plan(g.process, g.type, index, str::lower(g.type) + "-" + std::to_string(index), g.policy);
}

std::string tf_role(const std::string& type) { return str::lower(type); }

} // namespace

ReplicaPlan replica_plan(const ContainerProcess& process, const std::string& type, int index, const std::string& name,
                         const std::string& restart_policy) {
  ReplicaPlan r;
  r.type = type;
  r.index = index;
  r.name = name;
  r.argv = process.argv;
  r.env = process.env;
  r.restart_policy = restart_policy;
  r.image = process.image;
  r.working_dir = process.working_dir;
  r.gpus = process.gpus;
  return r;
}

std::vector<std::string> local_kinds() {
  return {"PyTorchJob", "TFJob", "TrainJob", "Job", "Experiment", "InferenceService", "Notebook", "Workflow"};
}

bool can_run_locally(const std::string& kind) {
  const auto kinds = local_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

namespace {
// Binds `port` (0: any) on 127.0.0.1 and returns the port bound, or -1 with
// errno set. `reuse`: as servers bind (SO_REUSEADDR), so a port whose last
// connections are in TIME_WAIT counts as free.
int bind_port(int port, bool reuse = false) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  const int one = 1;
  if (reuse) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int err = errno;
  ::close(fd);
  errno = err;
  return ok ? ntohs(addr.sin_port) : -1;
}
} // namespace

int free_port_from(int first) {
  for (int p = first; p < first + 100 && p < 65536; ++p)
    if (bind_port(p, true) == p) return p;
  return free_port();
}

int free_port() {
  const int port = bind_port(0);
  if (port < 0) throw Error(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  return port;
}

namespace {

// PyTorchJob: ranks in Master-then-Worker order, the env torchrun and torch.distributed read.
void pytorch_replicas(const std::vector<ReplicaGroup>& groups, int total, const PlanOptions& o, JobPlan& plan) {
  const int port = o.free_port();
  int rank = 0;
  for (const auto& g : groups)
    for (int i = 0; i < g.replicas; ++i, ++rank) {
      ReplicaPlan r = replica_of(g, i);
      const std::vector<std::pair<std::string, std::string>> injected = {
          {"PYTHONUNBUFFERED", "1"},
          {"MASTER_ADDR", "127.0.0.1"},
          {"MASTER_PORT", std::to_string(port)},
          {"WORLD_SIZE", std::to_string(total)},
          {"RANK", std::to_string(rank)},
          {"PET_MASTER_ADDR", "127.0.0.1"},
          {"PET_MASTER_PORT", std::to_string(port)},
          {"PET_NNODES", std::to_string(total)},
          {"PET_NODE_RANK", std::to_string(rank)},
          {"PET_NPROC_PER_NODE", "1"},
      };
      r.env.insert(r.env.end(), injected.begin(), injected.end());
      plan.replicas.push_back(std::move(r));
    }
  plan.success_replica = plan.replicas.front().name;
}

// TFJob: every replica but the evaluator has an address in TF_CONFIG's cluster.
void tf_replicas(const std::vector<ReplicaGroup>& groups, const PlanOptions& o, JobPlan& plan) {
  Json cluster = Json::object();
  for (const auto& g : groups) {
    if (g.type == "Evaluator" || g.replicas == 0) continue;
    Json addrs = Json::array();
    for (int i = 0; i < g.replicas; ++i) addrs.push_back("127.0.0.1:" + std::to_string(o.free_port()));
    cluster[tf_role(g.type)] = addrs;
  }
  bool has_chief = false;
  for (const auto& g : groups) {
    for (int i = 0; i < g.replicas; ++i) {
      ReplicaPlan r = replica_of(g, i);
      const Json tf = {{"cluster", cluster}, {"task", {{"type", tf_role(g.type)}, {"index", i}}}, {"environment", "cloud"}};
      r.env.emplace_back("PYTHONUNBUFFERED", "1");
      r.env.emplace_back("TF_CONFIG", tf.dump());
      plan.replicas.push_back(std::move(r));
    }
    if ((g.type == "Chief" || g.type == "Master") && g.replicas > 0) has_chief = true;
  }
  plan.success_replica = has_chief ? plan.replicas.front().name : "worker-0";
}

} // namespace

namespace {

JobPlan plan_operator_job(const Json& object, const KindInfo& k, const PlanOptions& o) {
  const std::string kind = k.kind;
  const std::string prefix = std::string("spec.") + k.specs;
  const Json& specs = json_field(json_field(object, "spec"), k.specs);
  if (!specs.is_object()) throw FieldError(prefix, "missing");
  for (auto it = specs.begin(); it != specs.end(); ++it)
    if (std::find(k.order.begin(), k.order.end(), it.key()) == k.order.end())
      throw FieldError(prefix + "." + it.key(), "unknown replica type (" + kind + " has " + str::join(k.order, ", ") + ")");

  JobPlan plan;
  plan.kind = kind;
  plan.name = json_text(json_field(object, "metadata"), "name");
  const Json& backoff = json_field(json_field(json_field(object, "spec"), "runPolicy"), "backoffLimit");
  plan.backoff_limit = backoff.is_number_integer() ? backoff.get<int>() : 6; // Kubernetes Jobs' default
  std::vector<ReplicaGroup> groups;
  for (const auto& type : k.order)
    if (specs.contains(type) && !specs[type].is_null()) {
      groups.push_back(read_group(prefix, type, specs[type], k, o));
      if (groups.back().replicas > 0) plan.types.push_back(type);
    }
  int total = 0;
  for (const auto& g : groups) total += g.replicas;
  if (total == 0) throw FieldError(prefix, "no replicas to run");
  if (kind == "PyTorchJob") pytorch_replicas(groups, total, o, plan);
  else tf_replicas(groups, o, plan);
  return plan;
}

} // namespace

void check_schema(const Json& object) {
  const render::SchemaSet& schemas = render::SchemaSet::shared_builtin();
  const std::string api_version = json_text(object, "apiVersion"), kind = json_text(object, "kind");
  if (!schemas.has(api_version, kind)) {
    std::vector<std::string> versions;
    const std::string suffix = ", Kind=" + kind;
    for (const auto& k : schemas.kinds())
      if (k.ends_with(suffix)) versions.push_back(k.substr(0, k.size() - suffix.size()));
    if (versions.empty()) return;
    throw FieldError("apiVersion", "no matches for kind " + str::quote(kind) + " in version " + str::quote(api_version) + " (" +
                                       kind + " is " + str::join(versions, " or ") + ")");
  }
  const auto violations = schemas.validate(object);
  if (!violations.empty()) throw FieldError(violations.front().path, violations.front().rule);
}

JobPlan plan_job(const Json& object, const PlanOptions& o) {
  const std::string kind = object.value("kind", "");
  const std::string name = json_text(json_field(object, "metadata"), "name");
  try {
    if (kind == "Job" || kind == "TrainJob" || kind_info(kind)) check_schema(object);
    if (kind == "Job") return plan_batch_job(object, container_options(o));
    if (kind == "TrainJob") return plan_trainjob(object, find_training_runtime(object, o.training_runtimes), o);
    if (const KindInfo* k = kind_info(kind)) return plan_operator_job(object, *k, o);
  } catch (const FieldError& e) {
    throw e.of(kind, name);
  }
  throw Error(kind + " " + str::quote(name) + ": the local target runs " + target::kinds_text(local_kinds()) + " objects");
}

} // namespace kf::local

namespace kf::local {

namespace {

std::vector<std::string> strings_of(const Json& j, const std::string& where) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) throw Error(where + ": must be a list of strings");
  for (const auto& s : j) {
    if (!s.is_string()) throw Error(where + ": must be a list of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

} // namespace

JobPlan plan_service(const Json& isvc, const Json& runtime, const ServiceOptions& o) {
  const std::string name = isvc.contains("metadata") ? isvc["metadata"].value("name", "") : "";
  const std::string rt_name = runtime.contains("metadata") ? runtime["metadata"].value("name", "") : "";
  // The model: a directory of this machine, where KServe's storage initializer would fetch a URI.
  const Json& model = json_field(json_field(json_field(isvc, "spec"), "predictor"), "model");
  const std::string uri = json_text(model, "storageUri");
  if (uri.rfind("file:///", 0) != 0)
    throw Error("InferenceService " + str::quote(name) +
                ": spec.predictor.model.storageUri: the local target serves a model directory of this machine "
                "(file:///DIR), not " + str::quote(uri));
  const std::string model_dir = uri.substr(7);
  const std::string at = "ServingRuntime " + str::quote(rt_name) + ": spec.containers";
  if (!runtime.contains("spec") || !runtime["spec"].contains("containers") || !runtime["spec"]["containers"].is_array() ||
      runtime["spec"]["containers"].empty())
    throw Error(at + ": no containers");
  const Json& c = runtime["spec"]["containers"][0];
  const std::string image = c.value("image", "");
  if (image != o.trainer_image)
    throw Error(at + "[0]: image " + str::quote(image) + " is not this project's image " + str::quote(o.trainer_image) +
                "; the local target serves only kf's model server (serve it on a cluster: --target)");
  auto argv = strings_of(c.value("command", Json()), at + "[0].command");
  if (argv.empty() || argv[0] != "kf-server")
    throw Error(at + "[0].command: the local target runs kf-server, not " +
                str::quote(argv.empty() ? std::string("the image's entrypoint") : argv[0]));
  argv[0] = o.server_path;
  // KServe mounts the model at /mnt/models and routes to the container port.
  for (auto a : strings_of(c.value("args", Json()), at + "[0].args")) {
    if (a.rfind("--model-dir=", 0) == 0) a = "--model-dir=" + model_dir;
    else if (a.rfind("--port=", 0) == 0) a = "--port=" + std::to_string(o.port);
    argv.push_back(a);
  }
  argv.push_back("--model-name=" + name);
  argv.push_back("--host=127.0.0.1");
  argv.push_back("--port-file=predictor.port");
  // KServe's logger sends each answer to logger.url; here they go to the run's predictions.jsonl.
  const Json& predictor = json_field(json_field(isvc, "spec"), "predictor");
  if (predictor.contains("logger") && predictor["logger"].is_object()) {
    argv.push_back("--log-file=" + std::string(k_predictions_file));
    argv.push_back("--log-mode=" + predictor["logger"].value("mode", std::string("all")));
  }
  JobPlan plan;
  plan.kind = "InferenceService";
  plan.name = name;
  plan.types = {"Predictor"};
  ReplicaPlan r;
  r.type = "Predictor";
  r.name = "predictor-0";
  r.argv = argv;
  r.restart_policy = "Always";
  r.image = image;
  // KServe merges the model's resources into the runtime container's, key by key.
  Json resources = json_field(c, "resources").is_object() ? c["resources"] : Json::object();
  for (const char* section : {"limits", "requests"})
    if (const Json& own = json_field(json_field(model, "resources"), section); own.is_object())
      for (const auto& [k, v] : own.items()) resources[section][k] = v;
  r.gpus = gpu_request(resources);
  if (c.contains("env") && c["env"].is_array())
    for (const auto& e : c["env"]) r.env.emplace_back(e.value("name", ""), e.value("value", ""));
  plan.replicas.push_back(std::move(r));
  plan.backoff_limit = 6;
  plan.success_replica = "predictor-0";
  plan.service = true;
  plan.ready_file = "predictor.port";
  plan.url = "http://127.0.0.1:" + std::to_string(o.port);
  return plan;
}

namespace {

Json replicas_json(const std::vector<ReplicaPlan>& plans) {
  Json replicas = Json::array();
  for (const auto& r : plans) {
    Json env = Json::array();
    for (const auto& [k, v] : r.env) env.push_back({{"name", k}, {"value", v}});
    Json replica = {{"type", r.type},   {"index", r.index},  {"name", r.name},
                    {"argv", r.argv},   {"env", env},        {"restartPolicy", r.restart_policy},
                    {"image", r.image}, {"workingDir", r.working_dir}};
    if (r.gpus > 0) replica["gpus"] = r.gpus;
    if (!r.pod.empty()) replica["pod"] = r.pod;
    replicas.push_back(std::move(replica));
  }
  return replicas;
}

std::vector<ReplicaPlan> replicas_from_json(const Json& j) {
  std::vector<ReplicaPlan> out;
  for (const auto& r : j) {
    ReplicaPlan rp;
    rp.type = r.at("type").get<std::string>();
    rp.index = r.at("index").get<int>();
    rp.name = r.at("name").get<std::string>();
    rp.argv = r.at("argv").get<std::vector<std::string>>();
    for (const auto& e : r.at("env")) rp.env.emplace_back(e.at("name").get<std::string>(), e.at("value").get<std::string>());
    rp.restart_policy = r.at("restartPolicy").get<std::string>();
    rp.image = r.value("image", "");
    rp.working_dir = r.value("workingDir", "");
    rp.gpus = r.value("gpus", 0);
    rp.pod = r.value("pod", "");
    out.push_back(std::move(rp));
  }
  return out;
}

} // namespace

Json to_json(const JobPlan& plan) {
  return {{"kind", plan.kind},           {"name", plan.name},
          {"types", plan.types},         {"replicas", replicas_json(plan.replicas)},
          {"initializers", replicas_json(plan.initializers)},
          {"backoffLimit", plan.backoff_limit}, {"successReplica", plan.success_replica},
          {"service", plan.service}, {"readyFile", plan.ready_file}, {"url", plan.url},
          {"readyUrl", plan.ready_url}, {"volumes", plan.volumes},
          {"completions", plan.completions}, {"parallelism", plan.parallelism}, {"indexed", plan.indexed},
          {"activeDeadlineSeconds", plan.active_deadline_seconds}, {"controller", plan.controller}};
}

JobPlan plan_from_json(const Json& j) {
  JobPlan p;
  p.kind = j.at("kind").get<std::string>();
  p.name = j.at("name").get<std::string>();
  p.types = j.at("types").get<std::vector<std::string>>();
  p.backoff_limit = j.at("backoffLimit").get<int>();
  p.success_replica = j.at("successReplica").get<std::string>();
  p.service = j.value("service", false);
  p.ready_file = j.value("readyFile", "");
  p.ready_url = j.value("readyUrl", "");
  if (j.contains("volumes")) p.volumes = j["volumes"].get<std::vector<std::string>>();
  p.url = j.value("url", "");
  p.completions = j.value("completions", 0);
  p.parallelism = j.value("parallelism", 1);
  p.indexed = j.value("indexed", false);
  p.active_deadline_seconds = j.value("activeDeadlineSeconds", 0);
  p.controller = j.value("controller", Json::object());
  p.replicas = replicas_from_json(j.at("replicas"));
  if (j.contains("initializers")) p.initializers = replicas_from_json(j["initializers"]);
  return p;
}

} // namespace kf::local
