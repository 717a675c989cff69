#!/usr/bin/env bash
# Refreshes third_party/crds/ from the upstream repositories, byte for byte.
#
#   bash scripts/update-crds.sh [--from DIR] [--check]
#
# Each line of the table below is: repository, commit, path in the repository,
# file name here. To move to a newer upstream release, change the commit (and
# the tag in third_party/crds/README.md), run this script, rebuild (kf-crdpack
# re-embeds the schemas), run the tests and read the golden-file diffs.
#
# --from DIR   read from existing clones DIR/<owner>+<name> (for example the
#              snapshots a mirror keeps) instead of cloning from $KF_GIT_BASE
#              (default https://github.com)
# --check      change nothing; exit 1 when a file here differs from upstream
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/third_party/crds"

from="" check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "update-crds: unknown argument $1" >&2; exit 2 ;;
  esac
done

table='
kubeflow/trainer         4445c12aa62e4345b0c2c6ac9b215a70eca46ed7 manifests/base/crds/kubeflow.org_pytorchjobs.yaml kubeflow.org_pytorchjobs.yaml
kubeflow/trainer         4445c12aa62e4345b0c2c6ac9b215a70eca46ed7 manifests/base/crds/kubeflow.org_tfjobs.yaml kubeflow.org_tfjobs.yaml
kubeflow/trainer         4445c12aa62e4345b0c2c6ac9b215a70eca46ed7 manifests/base/crds/kubeflow.org_mpijobs.yaml kubeflow.org_mpijobs.yaml
kubeflow/trainer         658725bdae5c7e3a0854d93ac6ff492e109a22ab manifests/base/crds/trainer.kubeflow.org_trainjobs.yaml trainer.kubeflow.org_trainjobs.yaml
kubeflow/trainer         658725bdae5c7e3a0854d93ac6ff492e109a22ab manifests/base/crds/trainer.kubeflow.org_clustertrainingruntimes.yaml trainer.kubeflow.org_clustertrainingruntimes.yaml
kubeflow/trainer         658725bdae5c7e3a0854d93ac6ff492e109a22ab manifests/base/crds/trainer.kubeflow.org_trainingruntimes.yaml trainer.kubeflow.org_trainingruntimes.yaml
kubeflow/katib           578e60f1ce83dbb5e7151026a3bdc4de233947fc manifests/v1beta1/components/crd/experiment.yaml kubeflow.org_experiments.yaml
kubeflow/katib           578e60f1ce83dbb5e7151026a3bdc4de233947fc manifests/v1beta1/components/crd/suggestion.yaml kubeflow.org_suggestions.yaml
kubeflow/katib           578e60f1ce83dbb5e7151026a3bdc4de233947fc manifests/v1beta1/components/crd/trial.yaml kubeflow.org_trials.yaml
kubeflow/katib           578e60f1ce83dbb5e7151026a3bdc4de233947fc pkg/apis/v1beta1/swagger.json katib_v1beta1_swagger.json
kserve/kserve            1fb781055dd1567164358233e1125142ca6ef1fe config/crd/full/serving.kserve.io_inferenceservices.yaml serving.kserve.io_inferenceservices.yaml
kserve/kserve            1fb781055dd1567164358233e1125142ca6ef1fe config/crd/full/serving.kserve.io_servingruntimes.yaml serving.kserve.io_servingruntimes.yaml
kserve/kserve            1fb781055dd1567164358233e1125142ca6ef1fe config/crd/full/serving.kserve.io_clusterservingruntimes.yaml serving.kserve.io_clusterservingruntimes.yaml
kserve/kserve            1fb781055dd1567164358233e1125142ca6ef1fe config/crd/minimal/serving.kserve.io_inferenceservices.yaml minimal/serving.kserve.io_inferenceservices.yaml
argoproj/argo-workflows  16a52d67daf2f4a8a76fa8bec02a76a46aa46257 manifests/base/crds/full/argoproj.io_workflows.yaml argoproj.io_workflows.yaml
argoproj/argo-workflows  16a52d67daf2f4a8a76fa8bec02a76a46aa46257 manifests/base/crds/minimal/argoproj.io_workflows.yaml minimal/argoproj.io_workflows.yaml
argoproj/argo-workflows  16a52d67daf2f4a8a76fa8bec02a76a46aa46257 manifests/base/crds/minimal/argoproj.io_workflowtemplates.yaml minimal/argoproj.io_workflowtemplates.yaml
kubeflow/notebooks       3454bb75696a6f76efe0b483fc44f577c9596807 components/notebook-controller/config/crd/bases/kubeflow.org_notebooks.yaml kubeflow.org_notebooks.yaml
kubeflow/pipelines       4a3592cb2dd0a91a4652ab93893ec8beda1f3158 manifests/kustomize/base/crds/pipelines.kubeflow.org_pipelines.yaml pipelines.kubeflow.org_pipelines.yaml
kubeflow/pipelines       4a3592cb2dd0a91a4652ab93893ec8beda1f3158 manifests/kustomize/base/crds/pipelines.kubeflow.org_pipelineversions.yaml pipelines.kubeflow.org_pipelineversions.yaml
kubeflow/pipelines       4a3592cb2dd0a91a4652ab93893ec8beda1f3158 manifests/kustomize/base/pipeline/cluster-scoped/scheduled-workflow-crd.yaml kubeflow.org_scheduledworkflows.yaml
kubernetes-client/python 024658493d124f046fc0a9827a2a3165cf2aee28 kubernetes/swagger.json.unprocessed kubernetes_swagger.json
'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A git directory holding `commit` of `repo`: a clone under --from, or a
# blobless clone made once per repository.
repo_dir() {
  local repo=$1 commit=$2 dir
  if [ -n "$from" ]; then
    for dir in "$from/${repo/\//+}/repo" "$from/${repo/\//+}" "$from/${repo/\//+}.git" "$from/$repo"; do
      [ -d "$dir" ] && { echo "$dir"; return; }
    done
    echo "update-crds: no clone of $repo under $from" >&2; exit 1
  fi
  dir="$work/${repo/\//+}"
  if [ ! -d "$dir" ]; then
    git clone -q --bare --filter=blob:none "${KF_GIT_BASE:-https://github.com}/$repo" "$dir" >&2
  fi
  git -C "$dir" cat-file -e "$commit^{commit}" 2>/dev/null || git -C "$dir" fetch -q origin "$commit" >&2
  echo "$dir"
}

changed=0
while read -r repo commit path file; do
  [ -n "$repo" ] || continue
  dir=$(repo_dir "$repo" "$commit")
  git -C "$dir" show "$commit:$path" >"$work/new"
  if cmp -s "$work/new" "$dest/$file"; then
    printf '  unchanged  %s\n' "$file"
    continue
  fi
  changed=1
  printf '  %-9s  %s (%s bytes, %s@%.12s:%s)\n' "$([ -f "$dest/$file" ] && echo changed || echo new)" \
    "$file" "$(wc -c <"$work/new")" "$repo" "$commit" "$path"
  if [ "$check" -eq 0 ]; then
    mkdir -p "$(dirname "$dest/$file")"
    mv "$work/new" "$dest/$file"
  fi
done <<<"$table"

if [ "$check" -eq 1 ] && [ "$changed" -eq 1 ]; then
  echo "update-crds: third_party/crds differs from upstream" >&2
  exit 1
fi
