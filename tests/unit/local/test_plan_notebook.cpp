// A Kubeflow Notebook planned for this machine's Jupyter (libkf/local/plan_notebook.cpp).
#include <doctest/doctest.h>

#include <map>

#include "libkf/local/culler.h"
#include "libkf/local/plan.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {

Json notebook(bool pvc) {
  Json c = {{"name", "lab"}, {"image", "kubeflownotebookswg/jupyter-scipy:v1.9.0"}, {"env", {{{"name", "A"}, {"value", "b"}}}}};
  Json nb = {{"apiVersion", "kubeflow.org/v1"}, {"kind", "Notebook"}, {"metadata", {{"name", "lab"}, {"namespace", "ml"}}}};
  if (pvc) {
    c["volumeMounts"] = {{{"name", "workspace"}, {"mountPath", "/home/jovyan"}}};
    nb["spec"]["template"]["spec"]["volumes"] = {{{"name", "workspace"}, {"persistentVolumeClaim", {{"claimName", "lab-ws"}}}}};
  }
  nb["spec"]["template"]["spec"]["containers"] = Json::array({c});
  return nb;
}

local::NotebookOptions options(const std::string& flavor) {
  local::NotebookOptions o;
  o.jupyter = "/usr/bin/jupyter";
  o.flavor = flavor;
  o.volumes_dir = "/p/.kf/volumes";
  o.port = 8890;
  o.token = "t0k";
  return o;
}

} // namespace

TEST_CASE("notebook: jupyter notebook 6 under NB_PREFIX, the PVC a directory of the project") {
  const auto plan = local::plan_notebook(notebook(true), options("notebook"));
  CHECK(plan.kind == "Notebook");
  CHECK(plan.service);
  REQUIRE(plan.replicas.size() == 1);
  const auto& r = plan.replicas[0];
  CHECK(r.argv == std::vector<std::string>{"/usr/bin/jupyter", "notebook", "--no-browser", "--ip=127.0.0.1", "--port=8890",
                                           "--port-retries=0", "--NotebookApp.base_url=/notebook/ml/lab/",
                                           "--notebook-dir=/p/.kf/volumes/lab-ws"});
  CHECK(r.working_dir == "/p/.kf/volumes/lab-ws");
  CHECK(r.image == "kubeflownotebookswg/jupyter-scipy:v1.9.0");
  CHECK(r.env.front() == std::pair<std::string, std::string>{"A", "b"});
  // The token is in the environment, not on a command line other users can read.
  CHECK(r.env[1] == std::pair<std::string, std::string>{"JUPYTER_TOKEN", "t0k"});
  CHECK(r.env[2] == std::pair<std::string, std::string>{"NB_PREFIX", "/notebook/ml/lab"});
  CHECK(plan.volumes == std::vector<std::string>{"/p/.kf/volumes/lab-ws"});
  CHECK(plan.url == "http://127.0.0.1:8890/notebook/ml/lab/?token=t0k");
  CHECK(plan.ready_url == "http://127.0.0.1:8890/notebook/ml/lab/api/status?token=t0k");
  const auto back = local::plan_from_json(local::to_json(plan));
  CHECK(back.ready_url == plan.ready_url);
  CHECK(back.volumes == plan.volumes);
}

TEST_CASE("notebook: jupyter lab's ServerApp flags - JUPYTER_TOKEN from the env - no volume, a directory of the run") {
  Json nb = notebook(false);
  nb["spec"]["template"]["spec"]["containers"][0]["env"].push_back({{"name", "JUPYTER_TOKEN"}, {"value", "mine"}});
  auto o = options("lab");
  o.allow_root = true;
  const auto plan = local::plan_notebook(nb, o);
  const auto& argv = plan.replicas[0].argv;
  CHECK(argv[1] == "lab");
  CHECK(argv[6] == "--ServerApp.base_url=/notebook/ml/lab/");
  CHECK(argv[7] == "--ServerApp.root_dir=work");
  for (const auto& arg : argv) CHECK(arg.find("mine") == std::string::npos);
  int tokens = 0; // the spec's own JUPYTER_TOKEN only
  for (const auto& [k, v] : plan.replicas[0].env) tokens += k == "JUPYTER_TOKEN";
  CHECK(tokens == 1);
  CHECK(argv.back() == "--allow-root");
  CHECK(plan.volumes == std::vector<std::string>{"work"});
  CHECK(plan.url == "http://127.0.0.1:8890/notebook/ml/lab/?token=mine");
}

TEST_CASE("notebook: no Jupyter on this machine, no containers: refused naming the Notebook and field") {
  auto o = options("notebook");
  o.jupyter.clear();
  CHECK_THROWS_WITH_AS(local::plan_notebook(notebook(true), o),
                       "Notebook \"lab\": spec.template.spec.containers[0].image: the local target runs a notebook with this "
                       "machine's Jupyter, and none is installed (jupyter lab, jupyter notebook or jupyter server; "
                       "scripts/install-deps.sh installs jupyter-notebook)",
                       FieldError);
  Json nb = notebook(false);
  nb["spec"]["template"]["spec"]["containers"] = Json::array();
  CHECK_THROWS_WITH_AS(local::plan_notebook(nb, options("notebook")), "Notebook \"lab\": spec.template.spec.containers: no containers",
                       FieldError);
}

TEST_CASE("culler: the notebook controller's variables, in minutes - Jupyter's last_activity") {
  std::map<std::string, std::string> env;
  auto get = [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  CHECK(local::cull_policy(get).idle_seconds == 0); // off unless ENABLE_CULLING=true
  env["ENABLE_CULLING"] = "true";
  CHECK(local::cull_policy(get).idle_seconds == 1440 * 60);
  CHECK(local::cull_policy(get).check_seconds == 60);
  env["CULL_IDLE_TIME"] = "0.5";
  env["IDLENESS_CHECK_PERIOD"] = "2";
  const auto p = local::cull_policy_from_json(local::to_json(local::cull_policy(get)));
  CHECK(p.idle_seconds == 30);
  CHECK(p.check_seconds == 120);
  env["CULL_IDLE_TIME"] = "-1";
  CHECK_THROWS_WITH_AS(local::cull_policy(get), "CULL_IDLE_TIME=-1: must be a positive number of minutes", UsageError);
  CHECK(local::idle_seconds(R"({"started": "2026-12-05T05:00:00.000000Z", "last_activity": "2026-12-05T05:03:25.581000Z"})",
                            *parse_rfc3339("2026-12-05T05:04:25Z")) == 60);
  CHECK_FALSE(local::idle_seconds("not json", 0));
  CHECK_FALSE(local::idle_seconds("{}", 0));
}
