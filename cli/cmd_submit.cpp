// kf submit -f — libkf/action/manifests.cpp; following the runs: cli/follow_view.cpp.
#include <iostream>

#include "cli/app.h"
#include "cli/follow_view.h"
#include "cli/output.h"
#include "cli/session.h"
#include "libkf/action/runs.h"

namespace kf::cli {

void add_submit(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<SubmitFlags>();
  auto files = std::make_shared<std::vector<std::string>>();
  auto params = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("submit", "Submit the objects of manifest files (upstream Kubeflow examples, kf render "
                                           "output) to the target and follow them like their kind's own verb");
  auto* f = cmd->add_option("-f,--filename", *files, "A manifest file, a directory of them, or - for stdin (repeatable)")
                ->type_name("FILE|DIR|-")
                ->required();
  hint(f, {{}, "file"});
  cmd->add_option("-p,--parameter", *params, "Set a Workflow's argument: NAME=VALUE (repeatable), as argo submit -p")
      ->type_name("NAME=VALUE");
  cmd->add_option("--name", flags->name, "The run's name (one object only; default: <name>-<N>, or generateName's)")
      ->type_name("RUN");
  cmd->add_flag("--wait", flags->wait, "On a cluster target: follow each run until it settles; exit status 0 when all "
                                       "succeeded");
  cmd->add_option("--timeout", flags->timeout, "With --wait: give up after SECONDS (default: no limit)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  auto no_cache = std::make_shared<bool>(false);
  cmd->add_flag("--no-cache", *no_cache, "A Workflow's steps all run, even those the local target has cached");
  add_detach_flag(*cmd, *flags);
  cmd->footer("Any kind the target runs: on the local target PyTorchJob, TFJob, TrainJob (Kubeflow Trainer v2: "
              "its runtimeRef names a (Cluster)TrainingRuntime in the same files or kf's torch-distributed; numNodes "
              "processes with the PET_* environment torchrun reads), Job (batch/v1), Katib Experiment "
              "(kf is its controller: see kf tune), InferenceService (with its ServingRuntime in the same files), Notebook and "
              "Argo Workflow (kf is its controller: container, script, steps, dag and suspend templates; see kf pipeline run); "
              "on a cluster, any kind its API server serves. A container's "
              "command and args run on this machine as host processes with its env and workingDir; the image is "
              "recorded, not pulled (kf's trainer image runs the built kf-trainer, or its CUDA-free build kf-trainer-cpu on a machine without a GPU). A pod (of a job, a trial, a notebook, a "
              "model server or a workflow step) that requests nvidia.com/gpu gets that many of this machine's GPUs "
              "that no other running pod holds, as its CUDA_VISIBLE_DEVICES (the NVIDIA device plugin's way); while "
              "others hold them it waits, Pending; more than the machine has is refused. ServingRuntime, ConfigMap, "
              "PersistentVolumeClaim and (Cluster)TrainingRuntime objects go along with the runs that use them. "
              "metadata.generateName is honoured. On the local target each object is first checked against its kind's "
              "upstream CRD (built into kf), as an API server checks it, and every violation is reported. "
              "All or nothing: an object the target refuses is an error "
              "(file:line:col) and no run is left behind. No kf.yaml is needed (as kubectl needs none): outside a "
              "project the runs go to .kf/ in the working directory, where kf status, logs, delete, stop, resume and "
              "retry find them (from there or below).\n\n"
              "Examples:\n"
              "  kf submit -f job.yaml\n"
              "  kf submit -f runtime.yaml -f trainjob.yaml\n"
              "  kf render train | kf submit -f - --detach\n"
              "  kf submit -f examples/ --target prod --wait");
  on_run(*cmd, g, [flags, files, params, no_cache](Session& s) {
    action::ManifestOptions o;
    o.files = *files;
    o.parameters = *params;
    o.run_name = flags->name;
    o.no_cache = *no_cache;
    o.stdin_text = read_stdin_if(o.files);
    auto pt = s.open_runs(action::WithoutProject::new_runs);
    int code = 0;
    for (const auto& r : action::submit_manifests(s.ctx, o, pt)) {
      code = std::max(code, after_submit(s.g, pt, r, *flags));
      if (code == 130) break; // Ctrl-C: the runs not followed yet go on
    }
    return code;
  });
}

} // namespace kf::cli
