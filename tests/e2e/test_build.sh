#!/usr/bin/env bash
# kf build end to end, against the real tools: the OCI layout is checked by
# oci-image-tool and unpacked by umoci (and the unpacked kf-trainer runs from
# it with the image's own loader and libraries), two builds give one digest,
# the docker-archive has what docker load reads; pushes go to Debian's
# docker-registry on 127.0.0.1 (plain http, and TLS + htpasswd basic auth with
# a self-signed certificate), skopeo reads back what kf pushed; a second push
# uploads no blob; a base image with two platforms (made and pushed here) is
# built on, its layers mounted; a proxy that cuts uploads leaves no tag; kf
# killed at three points of a push leaves no tag and the next push completes;
# and every error is pinned. Exit 77 (skipped) when the registry tools are missing.
source "$(dirname "$0")/lib.sh"
: "${KF_TRAINER:?set KF_TRAINER to the kf-trainer binary}"
for tool in docker-registry skopeo umoci; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; exit 77; }
done
for tool in oci-image-tool htpasswd openssl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export HOME="$WORK/home" KF_TRAINER
unset DOCKER_CONFIG SOURCE_DATE_EPOCH
mkdir -p "$HOME"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
count() { grep -c -- "$1" <<<"$2" || true; }

# start_registry NAME PORT [tls]: Debian's docker-registry with its data under $WORK/NAME;
# with "tls": TLS (a self-signed certificate for 127.0.0.1) and htpasswd basic auth (kf:secret).
start_registry() {
  local name=$1 port=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  {
    echo "version: 0.1"
    echo "log: {level: info}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $dir/data}"
    echo "  delete: {enabled: true}"
    if [ "${3:-}" = tls ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/tls.key" -out "$dir/tls.crt" -days 2 \
        -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
      htpasswd -Bbn kf secret >"$dir/htpasswd"
      echo "auth: {htpasswd: {realm: kf-test, path: $dir/htpasswd}}"
      echo "http: {addr: 127.0.0.1:$port, tls: {certificate: $dir/tls.crt, key: $dir/tls.key}}"
    else
      echo "http: {addr: 127.0.0.1:$port}"
    fi
  } >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  PIDS+=($!)
  local scheme=http i
  [ "${3:-}" = tls ] && scheme=https
  for i in $(seq 1 600); do # readiness, not a timing check
    code=$(curl -ks -o /dev/null -w '%{http_code}' "$scheme://127.0.0.1:$port/v2/" || true)
    [ "$code" = 200 ] || [ "$code" = 401 ] && return 0
    sleep 0.05
  done
  echo "docker-registry $name did not start:" >&2
  cat "$dir/log" >&2
  exit 1
}

# run_rootfs ROOTFS ARGS...: runs the image's kf-trainer from an unpacked rootfs: chrooted
# when this user may (root, or an unprivileged user namespace), else through the image's
# own loader with its library directory. Either way no library comes from this machine.
# An ASan-instrumented trainer (the asan preset) needs /proc, which the chroot
# lacks: it runs through the image's own loader and libraries instead.
asan_trainer=0
if grep -q libasan "$KF_TRAINER" 2>/dev/null; then asan_trainer=1; fi
run_rootfs() {
  local root=$1; shift
  if [ "$asan_trainer" = 0 ] && unshare -r true 2>/dev/null; then
    unshare -r chroot "$root" /usr/local/bin/kf-trainer "$@"
  else
    "$root/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" "$root/usr/local/bin/kf-trainer" "$@"
  fi
}

cd "$WORK"
"$KF" init demo >/dev/null 2>&1
cd demo
COMMIT=$(git rev-parse HEAD)

# 1. An OCI layout: oci-image-tool validates it, umoci unpacks it, the trainer runs from it.
run_kf build -o oci:"$WORK/oci"
expect_eq "oci: exit code" 0 "$RC"
[[ "$OUT" =~ ^demo-trainer@sha256:[0-9a-f]{64}$ ]] || fail "oci: stdout is not the reference with a digest: $OUT"
DIGEST=${OUT#demo-trainer@}
grep -q "^built ${DIGEST:0:19} (cpu, 2 layers, " <<<"$ERR" || fail "oci: no 'built' line in: $ERR"
expect_eq "oci: wrote line" "wrote oci:$WORK/oci" "$(grep '^wrote' <<<"$ERR")"
oci-image-tool validate --type image --ref name=latest "$WORK/oci" >"$WORK/validate.log" 2>&1 || { fail "oci-image-tool rejected the layout"; cat "$WORK/validate.log" >&2; }
expect_eq "oci: index names the digest" "$DIGEST" "$(json 'd["manifests"][0]["digest"]' <"$WORK/oci/index.json")"
expect_eq "oci: record" "demo-trainer@$DIGEST cpu $COMMIT False" \
  "$(json 'd["reference"]+" "+d["variant"]+" "+d["commit"]+" "+str(d["pushed"])' <.kf/image.json)"
expect_eq "oci: project layout has it too" "$DIGEST" "$(json 'd["manifests"][0]["digest"]' <.kf/image/index.json)"
# The build is a run in the metadata store: kind Build, the image as its output.
expect_eq "oci: recorded in the metadata store" "demo-build-1 Build Succeeded demo-trainer@$DIGEST $COMMIT" \
  "$("$KF" status -o json | json '" ".join([d[0]["name"], d[0]["kind"], d[0]["state"], d[0]["image"], d[0]["git"]["commit"]])')"
umoci unpack --rootless --image "$WORK/oci:latest" "$WORK/bundle" >/dev/null 2>&1 || fail "umoci could not unpack the layout"
ROOTFS="$WORK/bundle/rootfs"
[ -x "$ROOTFS/usr/local/bin/kf-trainer" ] || fail "oci: no /usr/local/bin/kf-trainer in the rootfs"
cmp -s "$ROOTFS/usr/local/bin/kf-trainer" "$KF_TRAINER" || fail "oci: the image's kf-trainer is not the one built"
# kf-server goes in when it was built beside the trainer (the build tree's runtime/server/).
if [ -x "$(dirname "$KF_TRAINER")/server/kf-server" ]; then
  cmp -s "$ROOTFS/usr/local/bin/kf-server" "$(dirname "$KF_TRAINER")/server/kf-server" || fail "oci: kf-server was built but is not in the image"
fi
help=$(run_rootfs "$ROOTFS" --help 2>&1) || fail "oci: the unpacked kf-trainer --help failed: $help"
grep -q '^kf-trainer: data-parallel' <<<"$help" || fail "oci: unexpected --help output: $help"
# Every library the trainer loads resolves inside the rootfs (the loader's own view).
outside=$("$ROOTFS/lib64/ld-linux-x86-64.so.2" --library-path "$ROOTFS/usr/lib/x86_64-linux-gnu" --list \
  "$ROOTFS/usr/local/bin/kf-trainer" | grep -v "$ROOTFS" | grep -v 'linux-vdso' || true)
expect_eq "oci: no library from outside the image" "" "$outside"
config=$(skopeo inspect --config oci:"$WORK/oci":latest)
expect_eq "oci: entrypoint" '["/usr/local/bin/kf-trainer"]' "$(json 'json.dumps(d["config"]["Entrypoint"])' <<<"$config")"
expect_eq "oci: working dir" "/workspace" "$(json 'd["config"]["WorkingDir"]' <<<"$config")"
expect_eq "oci: labels" "$COMMIT demo latest cpu True" \
  "$(json '" ".join([d["config"]["Labels"][k] for k in ("org.opencontainers.image.revision", "org.opencontainers.image.title", "org.opencontainers.image.version", "dev.kf.variant")] + [str("dev.kf.version" in d["config"]["Labels"])])' <<<"$config")"
expect_eq "oci: created" "1970-01-01T00:00:00Z" "$(json 'd["created"]' <<<"$config")"

# 2. Reproducible: a second build, into another layout, has the same digest and blobs.
run_kf build -o oci:"$WORK/oci2"
expect_eq "again: same reference" "demo-trainer@$DIGEST" "$OUT"
expect_eq "again: same blobs" "$(ls "$WORK/oci/blobs/sha256")" "$(ls "$WORK/oci2/blobs/sha256")"
SOURCE_DATE_EPOCH=1700000000 run_kf build
[ "$RC" = 0 ] && [ "$OUT" != "demo-trainer@$DIGEST" ] || fail "SOURCE_DATE_EPOCH: expected another digest, got $OUT ($RC)"
run_kf build -o json
expect_eq "json: digest" "$DIGEST" "$(json 'd["digest"]' <<<"$OUT")"
expect_eq "json: layers" "2" "$(json 'len(d["layers"])' <<<"$OUT")"
grep -q '"/usr/lib/x86_64-linux-gnu/libc.so.6"' <<<"$OUT" || fail "json: libc is not among the bundled libraries"

# 3. docker-archive: manifest.json, config, layer tars.
run_kf build -o docker-archive:"$WORK/image.tar"
expect_eq "docker-archive: exit code" 0 "$RC"
tar -xOf "$WORK/image.tar" manifest.json >"$WORK/manifest.json" || fail "docker-archive: no manifest.json"
expect_eq "docker-archive: manifest.json" "['demo-trainer:latest'] 2 True" \
  "$(json 'str(d[0]["RepoTags"])+" "+str(len(d[0]["Layers"]))+" "+str(all(l.endswith("/layer.tar") for l in d[0]["Layers"]))' <"$WORK/manifest.json")"
members=$(tar -tf "$WORK/image.tar")
grep -qx "$(json 'd[0]["Config"]' <"$WORK/manifest.json")" <<<"$members" || fail "docker-archive: the config file is missing"
expect_eq "docker-archive: skopeo reads it" "2" "$(skopeo inspect docker-archive:"$WORK/image.tar" | json 'len(d["Layers"])')"

# 4. kf render uses the built image by digest.
expect_eq "render: image by digest" "demo-trainer@$DIGEST" "$("$KF" render train -o json | json 'd["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["image"]')"

# 5. Push to a plain-http registry: chunked upload, skopeo agrees on the digest, a second push uploads nothing.
P=$(free_port)
start_registry plain "$P"
REG=(--set image.registry="127.0.0.1:$P/kf" --insecure)
run_kf build --push "${REG[@]}" --tag v1 --chunk-size 4Mi -v
expect_eq "push: exit code" 0 "$RC"
[[ "$OUT" =~ ^127\.0\.0\.1:$P/kf/demo-trainer@sha256:[0-9a-f]{64}$ ]] || fail "push: stdout: $OUT"
PUSHED=${OUT#*@}
expect_eq "push: skopeo sees the digest" "$PUSHED" "$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$P/kf/demo-trainer:v1" | json 'd["Digest"]')"
expect_eq "push: uploads started" 3 "$(count 'POST /v2/kf/demo-trainer/blobs/uploads/ -> 202' "$ERR")"
[ "$(count 'PATCH /v2/kf/demo-trainer/blobs/uploads/' "$ERR")" -ge 2 ] || fail "push: the large layer was not sent in chunks: $ERR"
expect_eq "push: progress lines" 3 "$(count 'uploaded (' "$ERR")"
grep -q "^pushed 127.0.0.1:$P/kf/demo-trainer:v1 (3 blobs uploaded, 0 already there, 0 mounted)$" <<<"$ERR" || fail "push: summary: $ERR"
expect_eq "push: labels as kf wrote them" "$COMMIT" \
  "$(skopeo inspect --tls-verify=false --config "docker://127.0.0.1:$P/kf/demo-trainer:v1" | json 'd["config"]["Labels"]["org.opencontainers.image.revision"]')"
expect_eq "push: record" "127.0.0.1:$P/kf/demo-trainer@$PUSHED True" "$(json 'd["reference"]+" "+str(d["pushed"])' <.kf/image.json)"
expect_eq "push: render uses it" "127.0.0.1:$P/kf/demo-trainer@$PUSHED" \
  "$("$KF" render train "${REG[@]:0:2}" -o json | json 'd["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["image"]')"
puts_before=$(count 'PUT /v2/kf/demo-trainer/blobs/uploads/' "$(cat "$WORK/plain/log")")
run_kf build --push "${REG[@]}" --tag v1 -v
expect_eq "push again: exit code" 0 "$RC"
expect_eq "push again: no upload" 0 "$(count 'blobs/uploads' "$ERR")"
grep -q "(0 blobs uploaded, 3 already there, 0 mounted)" <<<"$ERR" || fail "push again: summary: $ERR"
expect_eq "push again: the registry saw no blob upload" "$puts_before" "$(count 'PUT /v2/kf/demo-trainer/blobs/uploads/' "$(cat "$WORK/plain/log")")"
# What kf pushed pulls back and runs; kf's layout pushed by skopeo keeps kf's digest.
skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$P/kf/demo-trainer:v1" oci:"$WORK/pulled":v1 || fail "skopeo could not pull what kf pushed"
umoci unpack --rootless --image "$WORK/pulled:v1" "$WORK/pulled-bundle" >/dev/null 2>&1 || fail "umoci could not unpack the pulled image"
run_rootfs "$WORK/pulled-bundle/rootfs" --help >/dev/null 2>&1 || fail "the pulled kf-trainer does not run"
skopeo copy -q --dest-tls-verify=false oci:"$WORK/oci":latest "docker://127.0.0.1:$P/kf/copied:v1" || fail "skopeo copy of kf's layout failed"
expect_eq "skopeo copy keeps kf's digest" "$DIGEST" "$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$P/kf/copied:v1" | json 'd["Digest"]')"

# 5b. kill -9 mid-upload (issue 18's campaign), three times at three points of the push
#     (its first upload started, a chunk of the large layer sent, one blob whole);
#     no tag after any of them; the next push completes with the same digest, and
#     skopeo pulls it whole (it checks every blob's digest).
reglog() { cat "$WORK/plain/log"; }
landed=0
for point in 'POST /v2/kf/killed/blobs/uploads/' 'PATCH /v2/kf/killed/blobs/uploads/' 'PUT /v2/kf/killed/blobs/uploads/'; do
  before=$(count "$point" "$(reglog)")
  "$KF" build --push "${REG[@]}" --set image.name=killed --tag v1 --chunk-size 1Mi >/dev/null 2>"$WORK/killed.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && [ "$(count "$point" "$(reglog)")" -le "$before" ]; do sleep 0.01; done
  kill -9 "$pid" 2>/dev/null || true
  set +e
  { wait "$pid"; } 2>/dev/null # no "Killed" line from bash
  rc=$?
  set -e
  [ "$rc" = 137 ] && landed=$((landed + 1))
  skopeo inspect --tls-verify=false "docker://127.0.0.1:$P/kf/killed:v1" >/dev/null 2>&1 && fail "killed push ($point): a tag exists"
done
expect_eq "killed push: kills that landed mid-push" 3 "$landed"
run_kf build --push "${REG[@]}" --set image.name=killed --tag v1 --chunk-size 1Mi
expect_eq "push after the kills: exit code" 0 "$RC"
expect_eq "push after the kills: the same digest" "$PUSHED" "${OUT#*@}"
expect_eq "push after the kills: skopeo sees it" "$PUSHED" "$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$P/kf/killed:v1" | json 'd["Digest"]')"
skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$P/kf/killed:v1" oci:"$WORK/killed-pull":v1 || fail "skopeo could not pull what kf pushed after the kills"
echo "campaign: kf build --push killed at 3 points: $landed landed mid-push; the next push: exit $RC, digest $([ "${OUT#*@}" = "$PUSHED" ] && echo same || echo different)"

# 6. On a base image with two platforms (made here): linux/amd64 is picked, the libraries it
#    has are not copied, its layers are mounted from its repository.
python3 - "$WORK/base-layout" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
            t.addfile(i, io.BytesIO(data))
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g: g.write(raw.getvalue())
    return raw.getvalue(), gz.getvalue()
libz = open(os.path.realpath("/usr/lib/x86_64-linux-gnu/libz.so.1"), "rb").read()
manifests = []
for arch, files in (("arm64", [("etc/os-release", b"ID=kf-base-arm64\n")]),
                    ("amd64", [("etc/os-release", b"ID=kf-base\n"), ("usr/lib/x86_64-linux-gnu/libz.so.1", libz)])):
    raw, gz = layer(files)
    cfg = {"architecture": arch, "os": "linux", "config": {"Env": ["PATH=/usr/bin:/bin", "BASE=1"]},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
           "history": [{"created_by": "test base " + arch}]}
    c = blob(json.dumps(cfg).encode()); c["mediaType"] = "application/vnd.oci.image.config.v1+json"
    l = blob(gz); l["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": [l]}
    d = blob(json.dumps(m).encode()); d["mediaType"] = m["mediaType"]; d["platform"] = {"os": "linux", "architecture": arch}
    manifests.append(d)
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
i = blob(json.dumps(idx).encode()); i["mediaType"] = idx["mediaType"]; i["annotations"] = {"org.opencontainers.image.ref.name": "multi"}
json.dump({"schemaVersion": 2, "manifests": [i]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
BASE_AMD64=$(python3 -c 'import json,sys; idx=json.load(open(sys.argv[1]+"/index.json")); d=idx["manifests"][0]["digest"][7:]; i=json.load(open(sys.argv[1]+"/blobs/sha256/"+d)); print([m["digest"] for m in i["manifests"] if m["platform"]["architecture"]=="amd64"][0])' "$WORK/base-layout")
skopeo copy -q --all --dest-tls-verify=false oci:"$WORK/base-layout":multi "docker://127.0.0.1:$P/kf/base:multi" || fail "could not push the test's base image"
run_kf build --push "${REG[@]}" --set image.base="127.0.0.1:$P/kf/base:multi" --tag on-base -v -o json
expect_eq "base: exit code" 0 "$RC"
expect_eq "base: picked linux/amd64" "$BASE_AMD64" \
  "$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$P/kf/demo-trainer:on-base" | json 'd["annotations"]["org.opencontainers.image.base.digest"]')"
expect_eq "base: libz from the base, not copied" "True False" \
  "$(json 'str("libz.so.1" in d["libraries"]["fromBase"])+" "+str(any(l.endswith("/libz.so.1") for l in d["libraries"]["bundled"]))' <<<"$OUT")"
expect_eq "base: first layer from the base" "127.0.0.1:$P/kf/base" "$(json 'd["layers"][0]["from"]' <<<"$OUT")"
expect_eq "base: mounted, not uploaded" "1" "$(json 'd["push"]["mounted"]' <<<"$OUT")"
grep -q "POST /v2/kf/demo-trainer/blobs/uploads/ -> 201" <<<"$ERR" || fail "base: no cross-repository mount in: $ERR"
expect_eq "base: env merged" '["PATH=/usr/bin:/bin", "BASE=1"]' \
  "$(skopeo inspect --tls-verify=false --config "docker://127.0.0.1:$P/kf/demo-trainer:on-base" | json 'json.dumps(d["config"]["Env"])')"
skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$P/kf/demo-trainer:on-base" oci:"$WORK/on-base":v1 || fail "base: pull failed"
umoci unpack --rootless --image "$WORK/on-base:v1" "$WORK/on-base-bundle" >/dev/null 2>&1 || fail "base: umoci unpack failed"
expect_eq "base: the base's file is there" "ID=kf-base" "$(cat "$WORK/on-base-bundle/rootfs/etc/os-release")"
run_rootfs "$WORK/on-base-bundle/rootfs" --help >/dev/null 2>&1 || fail "base: the trainer does not run on the base"
run_kf build --variant cuda --set image.base="127.0.0.1:$P/kf/base:multi" --insecure
expect_eq "cuda on a base, trainer without CUDA: exit code" 1 "$RC"
expect_eq "cuda on a base, trainer without CUDA: message" \
  "error: the cuda variant needs a trainer built with CUDA, but $(readlink -f "$KF_TRAINER") links no CUDA library: build it where nvcc and NCCL are found (cmake -DKF_CUDA=ON), or build --variant cpu" \
  "$(grep -v '^pulling' <<<"$ERR")"

# 7. TLS + basic auth: no credentials, wrong ones, no CA; then a credential helper.
Q=$(free_port)
start_registry secure "$Q" tls
CA="$WORK/secure/tls.crt"
SEC=(--set image.registry="127.0.0.1:$Q/kf" --tag v1)
run_kf build --push "${SEC[@]}" --ca-file "$CA"
expect_eq "no credentials: exit code" 1 "$RC"
expect_eq "no credentials: message" \
  "error: 127.0.0.1:$Q asks for a user name and password (Basic realm \"kf-test\") and there is no docker config (~/.docker/config.json): add them with docker login 127.0.0.1:$Q" \
  "$(tail -n 1 <<<"$ERR")"
mkdir -p "$HOME/.docker"
printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}' "$Q" "$(printf 'kf:Wr0ngPassw0rd' | base64)" >"$HOME/.docker/config.json"
run_kf build --push "${SEC[@]}" --ca-file "$CA" -v
expect_eq "wrong credentials: exit code" 1 "$RC"
expect_eq "wrong credentials: message" \
  "error: 127.0.0.1:$Q: authentication failed (401 Unauthorized) for user \"kf\" (credentials from $HOME/.docker/config.json): check them, or log in again with docker login 127.0.0.1:$Q" \
  "$(tail -n 1 <<<"$ERR")"
expect_eq "wrong credentials: the password is never printed" 0 "$(count 'Wr0ngPassw0rd' "$OUT$ERR")"
run_kf build --push "${SEC[@]}"
expect_eq "no CA: exit code" 1 "$RC"
[[ "$(tail -n 1 <<<"$ERR")" == "error: cannot reach registry 127.0.0.1:$Q (GET /v2/): SSL certificate problem: self"*"certificate" ]] ||
  fail "no CA: message: $ERR"
mkdir -p "$WORK/bin"
cat >"$WORK/bin/docker-credential-kftest" <<'SH'
#!/bin/sh
[ "$1" = get ] || exit 2
read -r url
printf '{"ServerURL":"%s","Username":"kf","Secret":"secret"}' "$url"
SH
chmod +x "$WORK/bin/docker-credential-kftest"
printf '{"credHelpers": {"127.0.0.1:%s": "kftest"}}' "$Q" >"$HOME/.docker/config.json"
PATH="$WORK/bin:$PATH" run_kf build --push "${SEC[@]}" --ca-file "$CA" -v
expect_eq "credential helper: exit code" 0 "$RC"
SECURE_DIGEST=${OUT#*@}
expect_eq "credential helper: the secret is never printed" 0 "$(count 'secret' "$OUT$ERR")"
mkdir -p "$WORK/certs" && cp "$CA" "$WORK/certs/ca.crt"
expect_eq "TLS registry: skopeo sees the digest" "$SECURE_DIGEST" \
  "$(skopeo inspect --cert-dir "$WORK/certs" --creds kf:secret "docker://127.0.0.1:$Q/kf/demo-trainer:v1" | json 'd["Digest"]')"

# 7b. The bearer-token flow: a registry that trusts a token server (written here: it checks
#     kf:secret and signs RS256 JWTs with openssl); kf asks it for a token per scope.
S=$(free_port)
T=$(free_port)
mkdir -p "$WORK/token"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/token/token.key" -out "$WORK/token/token.crt" -days 2 \
  -subj /CN=kf-token 2>/dev/null
cat >"$WORK/token/server.py" <<'PY'
# A registry token server: checks basic credentials (kf:secret), grants the scopes
# asked for, signs an RS256 JWT with openssl; the registry trusts the certificate in x5c.
import base64, json, subprocess, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, key, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout
b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"kf:secret").decode():
            return self.reply(401, {"details": "bad credentials"}, [("WWW-Authenticate", 'Basic realm="kf-token"')])
        access = []
        for s in q.get("scope", []):
            for one in s.split(" "):
                typ, name, actions = one.split(":")
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "kf-token-issuer", "sub": "kf", "aud": q.get("service", [""])[0], "exp": now + 600,
                  "nbf": now - 10, "iat": now, "jti": str(time.time_ns()), "access": access}
        signing = (b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing, capture_output=True, check=True).stdout
        token = signing.decode() + "." + b64u(sig)
        print("token", q.get("scope", []), flush=True)
        self.reply(200, {"token": token, "access_token": token, "expires_in": 600})
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$WORK/token/server.py" "$T" "$WORK/token/token.key" "$WORK/token/token.crt" >"$WORK/token/log" 2>&1 &
PIDS+=($!)
cat >"$WORK/token/config.yml" <<YML
version: 0.1
log: {level: info}
storage:
  filesystem: {rootdirectory: $WORK/token/data}
auth:
  token: {realm: "http://127.0.0.1:$T/token", service: kf-registry, issuer: kf-token-issuer, rootcertbundle: $WORK/token/token.crt}
http:
  addr: 127.0.0.1:$S
YML
docker-registry serve "$WORK/token/config.yml" >"$WORK/token/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 600); do # readiness of both
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S/v2/")" = 401 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$T/token")" = 401 ] && break
  sleep 0.05
done
TOK=(--set image.registry="127.0.0.1:$S/kf" --insecure --tag v1)
printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}' "$S" "$(printf 'kf:nope' | base64)" >"$HOME/.docker/config.json"
run_kf build --push "${TOK[@]}"
expect_eq "token, wrong credentials: exit code" 1 "$RC"
expect_eq "token, wrong credentials: message" \
  "error: 127.0.0.1:$S: the token server refused the credentials for user \"kf\" (from $HOME/.docker/config.json): 401 Unauthorized" \
  "$(tail -n 1 <<<"$ERR")"
printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}' "$S" "$(printf 'kf:secret' | base64)" >"$HOME/.docker/config.json"
run_kf build --push "${TOK[@]}" -v
expect_eq "token: exit code" 0 "$RC"
grep -q "^debug: GET http://127.0.0.1:$T/token (token) -> 200$" <<<"$ERR" || fail "token: no token request in: $ERR"
grep -q "^token \['repository:kf/demo-trainer:pull,push'" "$WORK/token/log" || fail "token: kf asked for no push scope"
expect_eq "token: neither the secret nor a token is printed" 0 "$(count 'secret\|eyJ' "$OUT$ERR")"
expect_eq "token: skopeo sees the digest" "${OUT#*@}" \
  "$(skopeo inspect --tls-verify=false --creds kf:secret "docker://127.0.0.1:$S/kf/demo-trainer:v1" | json 'd["Digest"]')"
rm -f "$HOME/.docker/config.json"

# 8. A connection cut in the middle of an upload: a clear error, and no tag.
R=$(free_port)
python3 - "$R" "$P" >"$WORK/proxy.log" 2>&1 <<'PY' &
# Forwards to the registry; drops any blob upload request larger than 1 MiB half way.
import socket, sys, threading
listen, upstream = int(sys.argv[1]), int(sys.argv[2])
def recv_head(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk: return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest
def handle(c):
    try:
        head, body = recv_head(c)
        if head is None: return
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        length = 0
        for l in lines[1:]:
            if l.lower().startswith("content-length:"): length = int(l.split(":", 1)[1])
        if method in ("PUT", "PATCH") and "/blobs/uploads/" in path and length > (1 << 20):
            print("cut", method, path, flush=True)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return
        while len(body) < length:
            chunk = c.recv(65536)
            if not chunk: return
            body += chunk
        hdrs = [l for l in lines[1:] if not l.lower().startswith("connection:")] + ["Connection: close"]
        u = socket.create_connection(("127.0.0.1", upstream))
        u.sendall(("\r\n".join([lines[0]] + hdrs) + "\r\n\r\n").encode("latin-1") + body)
        while True:
            chunk = u.recv(65536)
            if not chunk: break
            c.sendall(chunk)
        u.close()
    finally:
        c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", listen)); s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
PIDS+=($!)
for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$R/v2/" && break; sleep 0.05; done
run_kf build --push --set image.registry="127.0.0.1:$R/kf" --set image.name=cut --insecure --tag v1 --chunk-size 0
expect_eq "cut upload: exit code" 1 "$RC"
[[ "$(tail -n 1 <<<"$ERR")" =~ ^error:\ cannot\ reach\ registry\ 127\.0\.0\.1:$R\ \(PUT\ /v2/kf/cut/blobs/uploads/[0-9a-f-]+\):\ .+ ]] ||
  fail "cut upload: message: $ERR"
grep -q '^cut PUT' "$WORK/proxy.log" || fail "cut upload: the proxy cut nothing"
skopeo inspect --tls-verify=false "docker://127.0.0.1:$P/kf/cut:v1" >/dev/null 2>&1 && fail "cut upload: a tag exists after the failed push"
expect_eq "cut upload: no tag" "" "$(curl -s "http://127.0.0.1:$P/v2/kf/cut/tags/list" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("tags") or "")')"

# 9. Other errors, pinned.
DEAD=$(free_port)
run_kf build --push --set image.registry="127.0.0.1:$DEAD/kf" --insecure
expect_eq "no registry: exit code" 1 "$RC"
expect_eq "no registry: message" \
  "error: cannot reach registry 127.0.0.1:$DEAD (GET /v2/): Failed to connect to 127.0.0.1 port $DEAD: Couldn't connect to server" \
  "$(tail -n 1 <<<"$ERR")"
run_kf build --variant gpu
expect_eq "unknown variant: exit code" 2 "$RC"
expect_eq "unknown variant: message" \
  "error: unknown variant \"gpu\" (did you mean 'cpu'?): choose cpu (a self-contained image) or cuda (on a CUDA runtime base image)" "$ERR"
run_kf build --variant cuda
expect_eq "cuda without base: exit code" 2 "$RC"
expect_eq "cuda without base: message" \
  "error: --variant cuda needs a CUDA runtime base image: set spec.image.base in kf.yaml (for example nvidia/cuda:13.0.0-runtime-ubuntu24.04); kf does not copy the CUDA libraries (gigabytes) into an image of its own" \
  "$ERR"
run_kf build --push
expect_eq "push without registry: exit code" 2 "$RC"
expect_eq "push without registry: message" \
  "error: --push needs a registry: set spec.image.registry in kf.yaml (or --set image.registry=HOST[:PORT][/PATH])" "$ERR"
run_kf build -o tar:x
expect_eq "bad -o: exit code" 2 "$RC"
expect_eq "bad -o: message" \
  "error: -o \"tar:x\": write the image with -o oci:DIR (an OCI image layout) or -o docker-archive:FILE (for docker load); formats are table, json and yaml" "$ERR"
run_kf build --chunk-size lots
expect_eq "bad chunk size: exit code" 2 "$RC"
expect_eq "bad chunk size: message" \
  "error: --chunk-size \"lots\": a number of bytes, optionally with Ki, Mi or Gi (e.g. 16Mi); 0 = no chunks" "$ERR"
run_kf build --set image.base="127.0.0.1:$P/kf/nothing:here" --insecure
expect_eq "missing base: exit code" 1 "$RC"
expect_eq "missing base: message" \
  "error: 127.0.0.1:$P/kf/nothing:here: no such image (404 Not Found: MANIFEST_UNKNOWN: manifest unknown)" "$(tail -n 1 <<<"$ERR")"

finish
