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
      source: /usr/share/datasets/fashion-mnist   # path, URL or synthetic (Debian: dataset-fashion-mnist)
      format: idx              # idx | csv | text | synthetic
    model:
      type: mlp                # mlp | cnn | embeddingbag | transformer
      layers: [128, 64]
      activation: relu         # relu | tanh | sigmoid
    hyperparameters:           # passed to the trainer as --NAME=VALUE (kf-trainer --help)
      lr: 0.001
      epochs: 5
      batch-size: 32           # per worker
      optimizer: adam          # sgd | adam | adamw
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

// An example's kf.yaml: its title comment, the head every example shares
// (project metadata, image), its body, and the shared tail (the local target).
struct Example {
  const char* title;
  const char* body;
};

constexpr const char* k_example_head = R"(apiVersion: kf.dev/v1alpha1
kind: Project
metadata:
  name: {name}
  namespace: default
spec:
  image:
    name: {name}-trainer
    tag: latest
)";

constexpr const char* k_example_tail = R"(
  targets:
    - name: local
      type: local
  defaultTarget: local
)";

// kf init --example intents: the seed's second case, a customer-service
// intent classifier on BANKING77 (data/, written beside it).
constexpr Example k_intents{R"(# kf project spec: a customer-service intent classifier (BANKING77, 77 intents).
# Reference: `man kf-init` (KF.YAML). The data is in data/ (CC BY 4.0, see data/README.md).
)", R"(
  # `kf train`: kf-trainer reads the CSV's text and category columns, builds a
  # WordPiece vocabulary from the training text and trains a transformer
  # encoder over the tokens (2 pre-LayerNorm blocks of 4 heads), with hashed
  # word-bigram and character n-gram features beside it, as fastText; about
  # 91% test accuracy in two minutes on two cores. `type: embeddingbag`
  # trains the n-gram model alone (about as accurate, in seconds).
  training:
    framework: {framework}
    workers: 1
    resources:
      cpu: "2"
      memory: 2Gi
    data:
      source: data/train.csv       # relative paths are relative to this directory
      testSource: data/test.csv
      format: text                 # a CSV, TSV or JSON-lines table
      textColumn: text
      labelColumn: category
    model:
      type: transformer
      layers: []                   # no hidden layer: the pooled vector straight to the 77 classes
    hyperparameters:               # kf-trainer --help lists them all
      embedding-dim: 128
      encoder-layers: 2
      heads: 4
      ffn-dim: 256
      dropout: 0.1
      hash-buckets: 65536          # rows for hashed word bigrams and character 3-5-grams
      max-length: 64
      optimizer: adamw
      lr: 0.002
      weight-decay: 0.01
      warmup-steps: 300
      lr-schedule: cosine
      label-smoothing: 0.1
      epochs: 8
      batch-size: 32

  # `kf tune`: Katib searches the learning rate, the depth, the heads and the dropout.
  tuning:
    objective:
      metric: accuracy
      type: maximize
      goal: 0.95
    algorithm:
      name: tpe
    parameters:
      - name: lr
        type: double
        min: 0.0005
        max: 0.005
        scale: log
      - name: encoder-layers
        type: int
        min: 1
        max: 3
      - name: heads
        type: categorical
        values: [2, 4, 8]
      - name: dropout
        type: double
        min: 0.0
        max: 0.3
    maxTrials: 8
    parallelTrials: 1
    maxFailedTrials: 2

  # `kf serve`: kf-server tokenizes text requests itself;
  # try `kf predict --text "my card has not arrived yet"`.
  serving:
    replicas: 1
    protocol: v2
    logger:                        # every answer to the run's predictions.jsonl (on a cluster: KServe's logger);
      mode: all                    # `kf monitor --labels FILE` scores them against labels that come later
)"};

// kf init --example fashion-cnn: the image recipe, a CNN with BatchNorm,
// dropout and augmentation on Debian's Fashion-MNIST.
constexpr Example k_fashion_cnn{R"(# kf project spec: a CNN for Fashion-MNIST (10 kinds of clothing, 28x28 grey images).
# Reference: `man kf-init` (KF.YAML). The data is Debian's dataset-fashion-mnist.
)", R"(
  # `kf train`: two 3x3 conv blocks (32 and 64 filters, each with BatchNorm,
  # 2x2 max pooling, then ReLU), a 128-wide dense layer with BatchNorm and
  # dropout, random 2-pixel crops and left-right flips of the training images,
  # Adam on a cosine schedule: 93% test accuracy in 14 epochs, about six
  # minutes with two workers on two cores (bench/RESULTS.md, "Trainer").
  training:
    framework: {framework}
    workers: 2
    resources:
      cpu: "1"
      memory: 2Gi
    data:
      source: /usr/share/datasets/fashion-mnist
      format: idx
    model:
      type: cnn
      convChannels: [32, 64]
      layers: [128]
      batchNorm: true
      dropout: 0.25
      augment: [crop, flip]
    hyperparameters:               # kf-trainer --help lists them all
      optimizer: adam
      lr: 0.002
      lr-schedule: cosine
      epochs: 14
      batch-size: 32               # per worker: 64 a step in all

  # `kf tune`: Katib searches the learning rate and the dropout.
  tuning:
    objective:
      metric: accuracy
      type: maximize
      goal: 0.94
    algorithm:
      name: tpe
    parameters:
      - name: lr
        type: double
        min: 0.0005
        max: 0.005
        scale: log
      - name: dropout
        type: double
        min: 0.0
        max: 0.5
    maxTrials: 6
    parallelTrials: 1
    maxFailedTrials: 2

  serving:
    replicas: 1
    protocol: v2
)"};

} // namespace

std::string scaffold_kf_yaml(const std::string& name, const std::string& framework, const std::string& example) {
  std::string text = k_kf_yaml;
  if (example == "intents" || example == "fashion-cnn") {
    const Example& e = example == "intents" ? k_intents : k_fashion_cnn;
    text = std::string(e.title) + k_example_head + e.body + k_example_tail;
  }
  return fmt::format(fmt::runtime(text), fmt::arg("name", name), fmt::arg("framework", framework));
}

} // namespace kf::action
