#!/usr/bin/env bash
# Installs every Debian package kf needs to build, test and benchmark.
# Debian 12 (bookworm). Run as root (or with sudo). Safe to run again.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang ccache
  # libraries (see ARCHITECTURE.md for who uses what)
  libcli11-dev libyaml-cpp-dev libfmt-dev nlohmann-json3-dev
  libcurl4-openssl-dev libgit2-dev libsqlite3-dev libssl-dev zlib1g-dev libeigen3-dev
  # RE2: Go's regexp syntax in linear time, for Katib's metricsFormat on trials' output
  libre2-dev
  # kf-trainer (runtime/): BLAS, CPU collectives, the real dataset, Unicode for the text tokenizer
  libopenblas-dev libgloo-dev dataset-fashion-mnist libutf8proc-dev
  # kf-tfevent-collector (runtime/tfevent): TensorFlow's event files are protobuf records
  libprotobuf-dev protobuf-compiler
  # ... whose records carry CRC-32Cs: Intel's ISA-L computes them (crc32_iscsi)
  libisal-dev
  # kf-server's HTTP transport: one event loop for every connection (libmicrohttpd)
  libmicrohttpd-dev
  # tests and benchmarks (libcpp-httplib-dev: tests/kube-sim, the Kubernetes API simulator;
  # wrk: kf-server's load test and bench/server.sh)
  doctest-dev libcpp-httplib-dev libbenchmark-dev hyperfine wrk man-db groff-base bash-completion zsh fish python3 python3-yaml
  # kf build's tests and bench/build.sh: a real registry, and tools that read and run OCI images
  docker-registry skopeo umoci oci-image-tool apache2-utils openssl curl
  # real clients of the operators' environment contract: PyTorch and its torchrun (tests/e2e/test_local_trainjob.sh)
  python3-torch
  # a second real client of kube-sim, beside kubectl: the official Kubernetes Python client (tests/e2e/test_kube_python_client.sh)
  python3-kubernetes
  # the tuner to beat: Optuna 3.1, bench/tune.sh's peer for kf's local Katib (bench/tune_optuna.py)
  python3-optuna
  # Jupyter, which the local target runs for a Kubeflow Notebook (tests/e2e/test_local_notebook.sh),
  # and nbconvert, which runs a pipeline's notebook step (tests/e2e/test_local_workflow.sh)
  jupyter-notebook python3-ipykernel python3-nbconvert
  # a workflow step's private view of /tmp and its declared paths (libkf/local/workflow_pod.cpp)
  bubblewrap
  # packaging: cpack -G DEB resolves Depends with dpkg-shlibdeps; lintian checks the .deb
  dpkg-dev lintian file
  # scripts/function-lengths.sh (a test): how long kf's functions are
  universal-ctags
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
