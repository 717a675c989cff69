// The files `kf init` writes for a new project.
#include "libkf/action/init.h"

#include <fmt/format.h>

namespace kf::action {

namespace {

// kf init's kf.yaml: every field with its default, {name} and {framework} filled in.
constexpr const char* k_kf_yaml = R"(# kf project spec. Reference: `man kf-init` (KF.YAML) or `kf validate --help`.
# Every field is optional unless marked required; the values shown are the defaults.
apiVersion: kf.dev/v1alpha1
kind: Project
metadata:
  name: {name}               # required: a DNS label, used to name every object
  namespace: default         # the namespace objects are rendered into
spec:
  image:
    registry: ""             # e.g. ghcr.io/acme; empty = a local image
    name: {name}-trainer
    tag: latest

  # `kf train`: data-parallel training, one replica per worker.
  training:
    framework: {framework}         # pytorch (PyTorchJob) | tensorflow (TFJob)
    workers: 2                 # total replicas; the first is the Master/Chief
    resources:
      cpu: "1"                 # per worker
      memory: 2Gi
      gpus: 0                  # nvidia.com/gpu per worker
    data:
      source: /usr/share/datasets/fashion-mnist   # path or URL (Debian: dataset-fashion-mnist)
      format: idx              # idx | csv
    model:
      type: mlp                # mlp | cnn
      layers: [128, 64]
      activation: relu         # relu | tanh | sigmoid
    hyperparameters:           # passed to the trainer as --NAME=VALUE (kf-trainer --help)
      lr: 0.001
      epochs: 5
      batch-size: 32           # per worker
      optimizer: adam          # sgd | adam
    restartPolicy: OnFailure   # OnFailure | Never | Always | ExitCode
    backoffLimit: 3

  # `kf tune`: a Katib Experiment whose trials run the training above.
  tuning:
    objective:
      metric: accuracy         # a name=value metric the trainer prints
      type: maximize           # maximize | minimize
      goal: 0.9
    algorithm:
      name: random             # random | grid | bayesianoptimization | tpe | hyperband | ...
    parameters:
      - name: lr
        type: double           # double | int | categorical
        min: 0.001
        max: 0.1
        scale: log             # linear | log
      - name: optimizer
        type: categorical
        values: [sgd, adam]
    maxTrials: 12
    parallelTrials: 3
    maxFailedTrials: 3

  # `kf serve`: a KServe InferenceService with kf's model server.
  serving:
    replicas: 1
    protocol: v2               # v1 | v2 (Open Inference Protocol)

  # `kf pipeline run NAME`: an Argo Workflow; steps run as a DAG.
  pipelines:
    - name: train-and-evaluate
      steps:
        - name: train
          command: [kf-trainer]
          args: [--data=/usr/share/datasets/fashion-mnist, --epochs=5, --output=/kf/outputs/model]
          outputs: [model]
        - name: evaluate
          command: [kf-trainer]
          args: [--evaluate=/kf/inputs/train/model]
          inputs: [train.model]  # STEP.ARTIFACT: makes this step depend on "train"

  notebooks:
    - name: lab
      volumeSize: 5Gi

  # Where `kf apply` installs Kubeflow, and which components.
  platform:
    namespace: kubeflow
    components:
      - name: training-operator
      - name: katib
      - name: kserve
      - name: pipelines

  # Where verbs run: "local" (this machine) is always there; add clusters by
  # kubeconfig context and select one with --target NAME.
  targets:
    - name: local
      type: local
  defaultTarget: local
)";

} // namespace

std::string scaffold_kf_yaml(const std::string& name, const std::string& framework) {
  return fmt::format(fmt::runtime(k_kf_yaml), fmt::arg("name", name), fmt::arg("framework", framework));
}

} // namespace kf::action
