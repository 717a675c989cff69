#!/usr/bin/env bash
# kf build against the peer tool, in one run on one machine:
#   1. kf build -o oci:DIR            (resolve libraries, tar + gzip two layers, config, manifest)
#   2. kf build --push                (the same, then push to Debian's docker-registry on loopback)
#   3. skopeo copy oci:DIR docker://  (push the very layout kf wrote, to the same registry)
# Every timed run starts on an empty registry, so both tools upload every blob
# (skopeo's blob-info cache would otherwise mount what it pushed in the run
# before, and kf's HEAD would find it). kf's push time is (2) - (1); the
# ratios are skopeo / kf push and skopeo / kf build+push.
# Usage: bench/build.sh [BUILD_DIR]   (default: build/release; RUNS=5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
kf=$build/cli/kf
trainer=$build/runtime/kf-trainer
runs=${RUNS:-5}
for tool in hyperfine docker-registry skopeo curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: bash scripts/install-deps.sh" >&2; exit 1; }
done
[ -x "$kf" ] && [ -x "$trainer" ] || { echo "build kf and kf-trainer first (cmake --build --preset release)" >&2; exit 1; }

work=$(mktemp -d)
trap '[ -f "$work/registry.pid" ] && kill "$(cat "$work/registry.pid")" 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work NO_COLOR=1 GIT_CONFIG_GLOBAL=/dev/null KF_TRAINER=$trainer
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
(cd "$work" && "$kf" init demo >/dev/null 2>&1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  echo "version: 0.1"
  echo "log: {level: warn}"
  echo "storage:"
  echo "  filesystem: {rootdirectory: $work/registry}"
  echo "http:"
  echo "  addr: 127.0.0.1:$port"
} >"$work/registry.yml"

# fresh-registry.sh: stops the registry, empties its storage, starts it again.
{
  echo '#!/usr/bin/env bash'
  echo "pidfile=$work/registry.pid"
  echo 'if [ -f "$pidfile" ]; then pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null; while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done; fi'
  echo "rm -rf $work/registry"
  echo "docker-registry serve $work/registry.yml >>$work/registry.log 2>&1 &"
  echo 'echo $! >"$pidfile"'
  echo "for _ in \$(seq 1 400); do curl -s -o /dev/null http://127.0.0.1:$port/v2/ && exit 0; sleep 0.025; done"
  echo 'exit 1'
} >"$work/fresh-registry.sh"
printf '#!/usr/bin/env bash\nexec %q -C %q build --push --set image.registry=127.0.0.1:%s/kf --insecure >/dev/null 2>&1\n' \
  "$kf" "$work/demo" "$port" >"$work/kf-push.sh"
printf '#!/usr/bin/env bash\nexec skopeo copy -q --dest-tls-verify=false oci:%s:latest docker://127.0.0.1:%s/kf/demo-trainer:latest\n' \
  "$work/oci" "$port" >"$work/skopeo-push.sh"
chmod +x "$work/fresh-registry.sh" "$work/kf-push.sh" "$work/skopeo-push.sh"
"$work/fresh-registry.sh"

"$kf" -C "$work/demo" build -o oci:"$work/oci" >/dev/null 2>&1
size=$(du -sb "$work/oci/blobs" | cut -f1)
echo "== image: $(ls "$work/oci/blobs/sha256" | wc -l) blobs, $((size / 1024 / 1024)) MiB compressed; trainer $(du -h "$trainer" | cut -f1)"
hyperfine -N --warmup 1 --runs "$runs" --prepare "$work/fresh-registry.sh" --export-json "$work/h.json" \
  "$kf -C $work/demo build -o oci:$work/oci-bench" \
  "$work/kf-push.sh" \
  "$work/skopeo-push.sh"
python3 - "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
build, kfpush, skopeo = (x["mean"] for x in r)
sd = [x["stddev"] for x in r]
push = kfpush - build
print(f"kf build -o oci:DIR            {build*1000:6.0f} ms ± {sd[0]*1000:.0f}")
print(f"kf build --push                {kfpush*1000:6.0f} ms ± {sd[1]*1000:.0f}  (push alone: {push*1000:.0f} ms)")
print(f"skopeo copy oci:DIR docker://  {skopeo*1000:6.0f} ms ± {sd[2]*1000:.0f}")
print(f"ratio skopeo / kf push alone:  {skopeo/push:.2f}x")
print(f"ratio skopeo / kf build+push:  {skopeo/kfpush:.2f}x")
PY
