#!/usr/bin/env bash
# Packs kf-trainer's GPU build for the device machine (the `device` tool),
# whose image has CUDA, NCCL and PyTorch but not Debian's OpenBLAS, Gloo or
# libcurl: the binaries plus every shared library they need that is neither
# glibc nor CUDA's go into .gpu/kf-gpu.tar.xz (ignored by git; name `.gpu`
# in the run's carry). Then, on the device machine, bench/gpu.sh runs the
# GPU checks and the kf-trainer vs PyTorch benchmark.
# Usage: bench/gpu_pack.sh [BUILD_DIR]   (default build/ci: optimised and
#   with the tests, as trainer_gpu is one; configured with nvcc present)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/ci}
cmake --build "$build" -j2 --target kf-trainer trainer_gpu kf-allreduce
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
cp "$build/runtime/kf-trainer" "$build/runtime/kf-allreduce" "$build/tests/runtime/trainer_gpu" "$stage/bin/"
# glibc's own libraries, the C++ runtime (the device's is newer, and
# backward compatible) and the driver come from the device machine; CUDA's
# (cudart, cuBLAS, NCCL) from its toolkit, so that they match its driver.
skip='^(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcublasLt|libnccl)\.so'
ldd "$stage"/bin/* | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u | while read -r name path; do
  [[ $name =~ $skip ]] || cp -L "$path" "$stage/lib/$name"
done
mkdir -p "$root/.gpu"
grep -qx '/.gpu/' "$root/.git/info/exclude" 2>/dev/null || echo '/.gpu/' >>"$root/.git/info/exclude"
tar -C "$stage" -cJf "$root/.gpu/kf-gpu.tar.xz" bin lib
ls -la "$root/.gpu/kf-gpu.tar.xz"
echo "device run: command 'bash bench/gpu.sh', carry ['.gpu'], timeout_s 500"
