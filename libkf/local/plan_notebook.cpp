// A Kubeflow Notebook as the local target runs it (plan.h): Jupyter of this
// machine in place of the image's, under Kubeflow's NB_PREFIX, with the
// workspace volume a directory of the project.
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "libkf/local/container.h"
#include "libkf/local/plan.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

// The claim of each PVC volume of the pod: volume name -> claimName.
std::vector<std::pair<std::string, std::string>> claims(const Json& pod) {
  std::vector<std::pair<std::string, std::string>> out;
  const Json& volumes = json_field(pod, "volumes");
  if (volumes.is_array())
    for (const auto& v : volumes) {
      const std::string claim = json_text(json_field(v, "persistentVolumeClaim"), "claimName");
      if (!claim.empty()) out.emplace_back(json_text(v, "name"), claim);
    }
  return out;
}

std::string env_value(const Json& container, const std::string& name) {
  const Json& env = json_field(container, "env");
  if (env.is_array())
    for (const auto& e : env)
      if (json_text(e, "name") == name) return json_text(e, "value");
  return "";
}

} // namespace

JobPlan plan_notebook(const Json& nb, const NotebookOptions& o) {
  const Json& md = json_field(nb, "metadata");
  const std::string name = json_text(md, "name");
  const std::string ns = json_text(md, "namespace").empty() ? "default" : json_text(md, "namespace");
  const Json& pod = json_field(json_field(json_field(nb, "spec"), "template"), "spec");
  const Json& containers = json_field(pod, "containers");
  try {
    if (!containers.is_array() || containers.empty()) throw FieldError("spec.template.spec.containers", "no containers");
    if (o.jupyter.empty())
      throw FieldError("spec.template.spec.containers[0].image",
                       "the local target runs a notebook with this machine's Jupyter, and none is installed "
                       "(jupyter lab, jupyter notebook or jupyter server; scripts/install-deps.sh installs jupyter-notebook)");
    const Json& c = containers[0];
    const std::string prefix = "/notebook/" + ns + "/" + name;
    JobPlan plan;
    plan.kind = "Notebook";
    plan.name = name;
    plan.types = {"Notebook"};
    plan.service = true;
    plan.backoff_limit = 6;
    ReplicaPlan r;
    r.type = "Notebook";
    r.name = "notebook-0";
    r.image = json_text(c, "image");
    r.restart_policy = "Always";
    r.gpus = gpu_request(json_field(c, "resources")); // a GPU notebook's kernels see its devices
    // The workspace: where the PVC mounted at the home directory (else the first) lives.
    std::string dir;
    const auto pvcs = claims(pod);
    const Json& mounts = json_field(c, "volumeMounts");
    if (mounts.is_array())
      for (const auto& m : mounts)
        for (const auto& [volume, claim] : pvcs)
          if (json_text(m, "name") == volume) {
            const std::string local = (o.volumes_dir / claim).string();
            plan.volumes.push_back(local);
            if (dir.empty() || json_text(m, "mountPath") == "/home/jovyan") dir = local;
          }
    if (dir.empty()) plan.volumes.push_back(dir = "work"); // no volume: a directory of the run
    else r.working_dir = dir; // the images' WORKDIR is the workspace (/home/jovyan)
    const bool own_token = env_value(c, "JUPYTER_TOKEN").empty();
    const std::string token = own_token ? o.token : env_value(c, "JUPYTER_TOKEN");
    const std::string app = o.flavor == "notebook" ? "NotebookApp" : "ServerApp";
    // The token goes in JUPYTER_TOKEN (every Jupyter reads it), not on the
    // command line, which every user of the machine can read in /proc.
    r.argv = {o.jupyter, o.flavor, "--no-browser", "--ip=127.0.0.1", "--port=" + std::to_string(o.port), "--port-retries=0",
              "--" + app + ".base_url=" + prefix + "/",
              (o.flavor == "notebook" ? "--notebook-dir=" : "--ServerApp.root_dir=") + dir};
    if (o.allow_root) r.argv.push_back("--allow-root");
    const Json& env = json_field(c, "env");
    if (env.is_array())
      for (const auto& e : env) r.env.emplace_back(json_text(e, "name"), json_text(e, "value"));
    if (own_token) r.env.emplace_back("JUPYTER_TOKEN", token);
    r.env.emplace_back("NB_PREFIX", prefix);
    r.env.emplace_back("PYTHONUNBUFFERED", "1");
    plan.replicas.push_back(std::move(r));
    const std::string base = "http://127.0.0.1:" + std::to_string(o.port) + prefix;
    plan.url = base + "/?token=" + token; // as Jupyter prints it: it opens the tree (lab: the lab)
    plan.ready_url = base + "/api/status?token=" + token;
    return plan;
  } catch (const FieldError& e) {
    throw e.of("Notebook", name);
  }
}

NotebookOptions notebook_options(const Json& nb, const std::filesystem::path& project_dir, bool find) {
  NotebookOptions o;
  o.volumes_dir = project_dir / ".kf" / "volumes";
  o.allow_root = ::geteuid() == 0;
  const char* path = std::getenv("PATH");
  const std::string path_env = path ? path : "";
  o.jupyter = find_command("jupyter", path_env);
  if (!o.jupyter.empty()) {
    for (const char* flavor : {"lab", "notebook", "server"})
      if (!find_command(std::string("jupyter-") + flavor, path_env).empty()) {
        o.flavor = flavor;
        break;
      }
    if (o.flavor.empty()) o.jupyter.clear(); // jupyter without a server
  }
  const Json& containers = json_field(json_field(json_field(json_field(nb, "spec"), "template"), "spec"), "containers");
  const Json& ports = containers.is_array() && !containers.empty() ? json_field(containers[0], "ports") : containers;
  const Json& port = ports.is_array() && !ports.empty() ? json_field(ports[0], "containerPort") : ports;
  const int wanted = port.is_number_integer() ? port.get<int>() : 8888;
  o.port = find ? free_port_from(wanted) : wanted;
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 48; ++i) o.token += hex[rd() % 16];
  return o;
}

} // namespace kf::local
