// SchemaSet against the real upstream CRDs: the files of KF_UPSTREAM_CRDS
// (third_party/crds, loaded once) and the same CRDs as built into kf.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "libkf/render/schema.h"
#include "libkf/util/error.h"
#include "tests/unit/render/schema_checks.h"

using kf::Json;
using kf::render::SchemaSet;
using kf::render::test::check;
using kf::render::test::Lines;
using kf::render::test::y;

namespace {

const SchemaSet& upstream() {
  static const SchemaSet set = SchemaSet::load_dir(KF_UPSTREAM_CRDS);
  return set;
}

} // namespace

TEST_SUITE("render/schema") {

TEST_CASE("schema: upstream CRDs accept minimal valid objects") {
  const char* objects[] = {
      R"(
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: demo-train, namespace: team, labels: {app.kubernetes.io/managed-by: kf}}
spec:
  runPolicy: {cleanPodPolicy: None}
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        metadata: {labels: {app: demo}}
        spec:
          containers:
          - name: pytorch
            image: pytorch/pytorch:2.3.0
            command: [python, train.py]
            env: [{name: EPOCHS, value: "3"}]
            resources:
              limits: {cpu: 500m, memory: 2Gi, nvidia.com/gpu: 1}
              requests: {cpu: "0.5", memory: 1e3}
    Worker:
      replicas: 2
      template:
        spec:
          containers: [{name: pytorch, image: pytorch/pytorch:2.3.0}]
)",
      R"(
apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: demo-tf}
spec:
  tfReplicaSpecs:
    Worker:
      replicas: 2
      restartPolicy: Never
      template:
        spec:
          containers: [{name: tensorflow, image: tensorflow/tensorflow:2.16.1, args: [--epochs, "3"]}]
)",
      R"(
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: demo-isvc}
spec:
  predictor:
    minReplicas: 1
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
      resources: {limits: {cpu: "1", memory: 2Gi}}
)",
      R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: message, value: hi}]}
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo, arguments: {parameters: [{name: message, value: A}]}}
      - {name: b, template: echo, dependencies: [a], arguments: {parameters: [{name: message, value: B}]}}
  - name: echo
    inputs: {parameters: [{name: message}]}
    container: {image: alpine:3.19, command: [echo, "{{inputs.parameters.message}}"]}
)",
      R"(
apiVersion: kubeflow.org/v1
kind: Notebook
metadata: {name: demo-nb, namespace: team}
spec:
  template:
    spec:
      containers:
      - name: demo-nb
        image: kubeflownotebookswg/jupyter-scipy:v1.8.0
        resources: {requests: {cpu: "0.5", memory: 1Gi}}
        volumeMounts: [{name: data, mountPath: /home/jovyan}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: demo-nb-data}}]
)",
      R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: demo-hpo, namespace: team}
spec:
  maxTrialCount: 12
  parallelTrialCount: 3
  maxFailedTrialCount: 3
  objective: {type: maximize, goal: 0.99, objectiveMetricName: accuracy}
  algorithm: {algorithmName: random}
  parameters:
  - name: lr
    parameterType: double
    feasibleSpace: {min: "0.01", max: "0.1"}
  trialTemplate:
    primaryContainerName: training
    trialParameters: [{name: learningRate, reference: lr}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers: [{name: training, image: demo:1, command: [python, train.py, "--lr=${trialParameters.learningRate}"]}]
            restartPolicy: Never
)",
  };
  for (const char* text : objects) {
    const Json obj = y(text);
    CAPTURE(obj["kind"].get<std::string>());
    CHECK(check(upstream(), obj) == Lines{});
  }
}

TEST_CASE("schema: upstream CRDs report wrong objects") {
  const auto pytorch = [](const char* master) {
    Json obj = y("{apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: demo-train}}");
    obj["spec"]["pytorchReplicaSpecs"]["Master"] = y(master);
    obj["spec"]["pytorchReplicaSpecs"]["Master"]["template"] = y("{spec: {containers: [{name: pytorch, image: x}]}}");
    return obj;
  };
  // The training-operator CRD sets no minimum on replicas: the controller rejects -1, not the apiserver.
  CHECK(check(upstream(), pytorch("{replicas: -1}")).empty());
  CHECK(check(upstream(), pytorch("{replicas: two}")) ==
        Lines{R"(PyTorchJob "demo-train": spec.pytorchReplicaSpecs.Master.replicas: Invalid value: "string": must be of type integer)"});
  CHECK(check(upstream(), pytorch("{replica: 1}")) ==
        Lines{R"(PyTorchJob "demo-train": spec.pytorchReplicaSpecs.Master.replica: unknown field "replica" (did you mean 'replicas'?))"});
  Json wrong_memory = pytorch("{replicas: 1}");
  wrong_memory["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["resources"] =
      y("{limits: {memory: 2 GiB}}");
  const auto memory = check(upstream(), wrong_memory);
  REQUIRE(memory.size() == 1);
  CHECK(memory[0].starts_with(R"(PyTorchJob "demo-train": spec.pytorchReplicaSpecs.Master.template.spec.containers[0].resources.limits.memory: Invalid value: "2 GiB": should match '^(\+|-)?)"));

  const Json isvc = y(R"(
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: demo-isvc}
spec:
  predictor:
    scaleMetric: gpu
    model: {modelFormat: {version: "1"}, storageUri: gs://bucket/model}
)");
  CHECK(check(upstream(), isvc) ==
        Lines{R"(InferenceService "demo-isvc": spec.predictor.scaleMetric: Unsupported value: "gpu": supported values: "cpu", "memory", "concurrency", "rps")",
              R"(InferenceService "demo-isvc": spec.predictor.model.modelFormat.name: Required value)"});

  const Json experiment = y(R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: demo-hpo}
spec:
  maxTrialCount: many
  objective: {objectiveMetricName: accuracy, goal: high}
  parameter: []
)");
  CHECK(check(upstream(), experiment) ==
        Lines{R"(Experiment "demo-hpo": spec.maxTrialCount: Invalid value: "string": must be of type integer)",
              R"(Experiment "demo-hpo": spec.objective.goal: Invalid value: "string": must be of type number)",
              R"(Experiment "demo-hpo": spec.parameter: unknown field "parameter" (did you mean 'parameters'?))"});
}

TEST_CASE("schema: upstream kinds") {
  CHECK(upstream().has("kubeflow.org/v1", "PyTorchJob"));
  CHECK(upstream().has("kubeflow.org/v1beta1", "Experiment"));
  CHECK_FALSE(upstream().has("kubeflow.org/v2", "PyTorchJob"));
  const auto kinds = upstream().kinds();
  CHECK(std::find(kinds.begin(), kinds.end(), "argoproj.io/v1alpha1, Kind=Workflow") != kinds.end());
  CHECK(std::is_sorted(kinds.begin(), kinds.end()));
  CHECK_THROWS_WITH_AS(upstream().validate(y("{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}")),
                       (std::string("no schema for example.com/v1, Kind=Widget in ") + KF_UPSTREAM_CRDS).c_str(), kf::Error);
}

TEST_CASE("schema: the built-in CRDs are third_party/crds without descriptions") {
  const SchemaSet builtin = SchemaSet::builtin();
  CHECK(builtin.kinds() == upstream().kinds());
  CHECK(builtin.has("trainer.kubeflow.org/v1alpha1", "TrainJob"));
  CHECK(builtin.has("kubeflow.org/v1beta1", "Experiment"));
  // The same answers as the files they were packed from, for a CRD schema
  // (PyTorchJob) and for a swagger definition (Katib's Experiment).
  const Json job = y(R"({apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: j},
    spec: {pytorchReplicaSpecs: {Master: {replicas: -1, restartPolicy: Sometimes,
      template: {spec: {containers: [{name: pytorch, image: x, ports: [{containerPort: many}]}]}}}}}})");
  CHECK_FALSE(check(builtin, job).empty());
  CHECK(check(builtin, job) == check(upstream(), job));
  const Json experiment = y(R"({apiVersion: kubeflow.org/v1beta1, kind: Experiment, metadata: {name: e},
    spec: {maxTrialCount: many, objective: {goal: high}, parameter: []}})");
  CHECK(check(builtin, experiment).size() == 3);
  CHECK(check(builtin, experiment) == check(upstream(), experiment));
  CHECK_THROWS_WITH_AS(builtin.validate(y("{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}")),
                       "no schema for example.com/v1, Kind=Widget in kf's built-in CRDs", kf::Error);
}

TEST_CASE("schema: Kubernetes' own kinds, from its swagger document") {
  const SchemaSet builtin = SchemaSet::builtin();
  // A Quantity (and an IntOrString) is a number or a string, as the API server takes it.
  CHECK(check(builtin, y(R"({apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: ws},
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}, limits: {storage: 20}}}})"))
            .empty());
  CHECK(check(builtin, y(R"({apiVersion: v1, kind: Service, metadata: {name: s},
    spec: {ports: [{port: 80, targetPort: http}, {port: 81, targetPort: 8081}]}})"))
            .empty());
  CHECK(check(builtin, y(R"({apiVersion: apps/v1, kind: Deployment, metadata: {name: d},
    spec: {replicas: two, selector: {matchLabels: {a: b}}, template: {spec: {containers: [{name: c, image: 1, imagePullPolicy: Always}]}}}})")) ==
        Lines{R"(Deployment "d": spec.replicas: Invalid value: "string": must be of type integer)",
              R"(Deployment "d": spec.template.spec.containers[0].image: Invalid value: "integer": must be of type string)"});
  CHECK(check(builtin, y(R"({apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: ws},
    spec: {resources: {requests: {storage: [1]}}}})")) ==
        Lines{R"(PersistentVolumeClaim "ws": spec.resources.requests.storage: Invalid value: "array": must be of type integer or string)"});
}

} // TEST_SUITE
