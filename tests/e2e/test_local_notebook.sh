#!/usr/bin/env bash
# Kubeflow Notebook on the local target with the real Jupyter (Debian's
# jupyter-notebook 6.4): kf notebook starts it under Kubeflow's NB_PREFIX with
# a token and the workspace PVC as a directory of the project; a notebook is
# created through Jupyter's REST API and a cell runs in a real kernel (over
# the server's kernel websocket); kf notebook again reconnects; after
# kf delete the kernel's file is in .kf/volumes/<claim>/, and the next
# notebook sees it again. Jupyter missing is refused with its message.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export PATH=/usr/bin:$PATH # Debian's jupyter and its python3 (tornado)
command -v jupyter-notebook >/dev/null || die "jupyter-notebook is not installed (scripts/install-deps.sh installs it)"
cd "$WORK"
# kernel_run BASE TOKEN CODE: opens hello.ipynb as a browser does (a session: its kernel), runs CODE
# in that kernel through the server's websocket; prints the reply's status.
kernel_run() {
  /usr/bin/python3 - "$@" <<'EOF'
import json, sys, uuid, urllib.request
from tornado import ioloop, websocket
base, token, code = sys.argv[1:4]
session = {"path": "hello.ipynb", "type": "notebook", "name": "", "kernel": {"name": "python3"}}
req = urllib.request.Request(base + "/api/sessions?token=" + token, data=json.dumps(session).encode(), method="POST",
                             headers={"Content-Type": "application/json"})
kernel = json.load(urllib.request.urlopen(req))["kernel"]["id"]
async def main():
    ws = await websocket.websocket_connect(base.replace("http", "ws", 1) + "/api/kernels/" + kernel + "/channels?token=" + token)
    msg_id = uuid.uuid4().hex
    ws.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": "kf", "session": uuid.uuid4().hex, "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False}}))
    while True:
        m = json.loads(await ws.read_message())
        if m.get("parent_header", {}).get("msg_id") == msg_id and m["msg_type"] == "execute_reply":
            ws.close()
            return m["content"]["status"]
print(ioloop.IOLoop.current().run_sync(main, timeout=60))
EOF
}

"$KF" init demo >/dev/null 2>&1
cd demo

# 1. Started: the URL (with its token) on stdout; /api/status answers under NB_PREFIX.
run_kf notebook --detach
expect_eq "notebook: exit code" 0 "$RC"
url=$OUT
base=${url%/?token=*}
token=${url#*token=}
expect_eq "notebook: NB_PREFIX" "/notebook/default/demo-lab-1" "$(sed -E 's|http://127.0.0.1:[0-9]+||' <<<"$base")"
[ ${#token} -ge 32 ] || fail "notebook: a short token: $token"
expect_eq "notebook: the URL opens Jupyter" 200 "$(curl -s -L -o /dev/null -w '%{http_code}' "$url")"
expect_eq "notebook: /api/status" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status?token=$token")"
expect_eq "notebook: no token, no access" 403 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status")"
# The token is on no command line (other users read /proc/*/cmdline), and the run's directory is private.
grep -lsF "$token" /proc/[0-9]*/cmdline && fail "notebook: the token is on a command line"
expect_eq "notebook: run directory mode" 700 "$(stat -c %a .kf/runs/demo-lab-1)"
run_kf status demo-lab-1 -o json
expect_eq "status: state" "Ready" "$(json 'd["state"]' <<<"$OUT")"
expect_eq "status: readyReplicas" 1 "$(json 'd["status"]["readyReplicas"]' <<<"$OUT")"
expect_eq "status: url" "$url" "$(json 'd["status"]["url"]' <<<"$OUT")"

# 2. A notebook through the REST API, and a cell run by a real kernel.
curl -s -X PUT "$base/api/contents/hello.ipynb?token=$token" -H 'Content-Type: application/json' \
  -d '{"type": "notebook", "content": {"cells": [{"cell_type": "code", "source": "print(1 + 1)", "metadata": {}, "outputs": [], "execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}' >/dev/null
expect_eq "kernel: execute_reply" "ok" "$(kernel_run "$base" "$token" 'open("from-kernel.txt", "w").write("written by the kernel")')"

# 3. Again: the running notebook, not a second one.
run_kf notebook
expect_eq "reconnect: exit code" 0 "$RC"
expect_eq "reconnect: the same URL" "$url" "$OUT"
expect_eq "reconnect: message" "notebook demo-lab-1 is running already" "$ERR"
expect_eq "reconnect: one run" "demo-lab-1" "$(ls .kf/runs)"

# 4. kf delete ends Jupyter; the workspace outlives it, and the next notebook has it.
run_kf delete demo-lab-1
expect_eq "delete: exit code" 0 "$RC"
expect_eq "delete: Jupyter is gone" 000 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status?token=$token" || true)"
expect_eq "workspace: the kernel's file" "written by the kernel" "$(cat .kf/volumes/demo-lab-workspace/from-kernel.txt)"
[ -f .kf/volumes/demo-lab-workspace/hello.ipynb ] || fail "workspace: no hello.ipynb"
run_kf notebook --detach
expect_eq "again: exit code" 0 "$RC"
url=$OUT; base=${url%/?token=*}; token=${url#*token=}
expect_eq "again: the workspace's notebooks" "from-kernel.txt hello.ipynb" \
  "$(curl -s "$base/api/contents?token=$token" | json '" ".join(sorted(c["name"] for c in d["content"]))')"
# kf stop ends it and keeps the run, Stopped; kf notebook starts it again.
run_kf stop demo-lab-1
expect_eq "stop: output" "run demo-lab-1 stopped" "$OUT"
run_kf status demo-lab-1 -o json
expect_eq "stop: state" "Stopped 0" "$(json 'd["state"] + " " + str(d["status"]["readyReplicas"])' <<<"$OUT")"
expect_eq "stop: the table's progress" "demo-lab-1 Notebook Stopped 0/1 ready" "$("$KF" status | awk '$1 == "demo-lab-1" {print $1, $2, $3, $5, $6}')"
expect_eq "stop: Jupyter is gone" 000 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status?token=$token" || true)"
run_kf stop demo-lab-1
expect_eq "stop again" "run demo-lab-1 had already ended (Stopped): kept as it was" "$OUT"
run_kf stop demo-lab-9
expect_eq "stop: no such run" "error: run \"demo-lab-9\" does not exist (kf status lists the runs)" "$ERR"
run_kf delete demo-lab-1

# 5. Idle culling, as the notebook controller's ENABLE_CULLING/CULL_IDLE_TIME/
#    IDLENESS_CHECK_PERIOD (minutes; here a few seconds): stopped and kept.
ENABLE_CULLING=true CULL_IDLE_TIME=0.05 IDLENESS_CHECK_PERIOD=0.01 run_kf notebook --detach
expect_eq "culling: exit code" 0 "$RC"
state=""
for _ in $(seq 300); do
  state=$("$KF" status demo-lab-1 -o json | json 'd["state"]')
  [ "$state" = Stopped ] && break
  sleep 0.1
done
expect_eq "culling: stopped" "Stopped" "$state"
run_kf status demo-lab-1 -o json
expect_eq "culling: reason" "Culled" "$(json 'd["status"]["conditions"][-1]["reason"]' <<<"$OUT")"
grep -q 'was culled: idle for [0-9]* s (ENABLE_CULLING, CULL_IDLE_TIME 3 s)$' <<<"$(json 'd["status"]["conditions"][-1]["message"]' <<<"$OUT")" ||
  fail "culling: message: $OUT"
[ -f .kf/runs/demo-lab-1/object.json ] && grep -q '"kubeflow-resource-stopped"' .kf/runs/demo-lab-1/object.json ||
  fail "culling: no kubeflow-resource-stopped annotation"
run_kf delete demo-lab-1
ENABLE_CULLING=true CULL_IDLE_TIME=soon run_kf notebook --detach
expect_eq "culling: a bad CULL_IDLE_TIME" "error: CULL_IDLE_TIME=soon: must be a positive number of minutes" "$ERR"

# 6. No Jupyter on this machine: refused, nothing left behind.
mkdir "$WORK/bin"
before=$(ls .kf/runs 2>/dev/null | sort)
set +e
ERR=$(PATH="$WORK/bin" "$KF" notebook 2>&1 >/dev/null)
RC=$?
set -e
expect_eq "no jupyter: exit code" 2 "$RC"
expect_eq "no jupyter: message" "error: Notebook \"demo-lab\": spec.template.spec.containers[0].image: the local target runs a notebook with this machine's Jupyter, and none is installed (jupyter lab, jupyter notebook or jupyter server; scripts/install-deps.sh installs jupyter-notebook)" "$ERR"
expect_eq "no jupyter: no run left" "$before" "$(ls .kf/runs 2>/dev/null | sort)"

finish
