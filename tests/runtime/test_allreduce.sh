#!/usr/bin/env bash
# The all-reduce (and broadcast, barrier) is exact for 2 and 3 processes,
# over sizes from 1 to 1,000,003 floats incl. odd ones, whole and for a
# range inside the communicator's own buffer (nothing around it touched).
# Every rank on this host: through shared memory, or with --shm-allreduce=off
# (on any one rank) over Gloo. Over Gloo, up to 512 KiB per rank (262,144
# floats for two ranks) go over the sync-mode context, larger ones over the
# default ring; with a master address that is not loopback, the sync mode
# stops at 32 KiB per rank (16,384 floats for two). A peer that dies, or
# stops, ends a shared-memory all-reduce with an error naming it; a rank
# that cannot open the segments puts every rank on Gloo; no segment stays
# in /dev/shm.
source "$(dirname "$0")/lib.sh"

sizes=1,2,3,7,64,1000,4099,16384,16385,65537,262144,262145,1000003
# run_world WORLD TRANSPORT [FLAGS_OF_RANK_1]: every rank checks all sizes.
run_world() {
  local world=$1 transport=$2 port r pids=()
  shift 2
  port=$(free_port)
  for ((r = 0; r < world; r++)); do
    start_rank "$WORK/ar$world.$r" "$r" "$world" "$port" "$KF_ALLREDUCE" --sizes "$sizes" $([ "$r" = 1 ] && echo "$@")
    pids+=("$LAST_PID")
  done
  for ((r = 0; r < world; r++)); do
    wait "${pids[$r]}" || { cat "$WORK/ar$world.$r.err" >&2; die "rank $r of $world exited non-zero"; }
    expect_contains "$WORK/ar$world.$r.out" "rank $r of $world: all-reduce correct for 13 sizes ($transport)"
  done
  ! ls /dev/shm 2>/dev/null | grep -q "^kf-allreduce-${pids[0]}-" || die "a segment of rank 0 stayed in /dev/shm"
}
for world in 2 3; do
  run_world "$world" shared-memory
  run_world "$world" Gloo --shm-allreduce=off # one rank says off: every rank takes Gloo
done

# A rank that cannot open rank 0's segments (a /dev/shm of its own, as in
# another container with the same hostname) puts every rank on Gloo, and
# rank 0's segment does not stay behind. Needs a mount namespace (root).
if unshare --mount true 2>/dev/null; then
  port=$(free_port)
  start_rank "$WORK/ns.0" 0 2 "$port" "$KF_ALLREDUCE" --sizes 1,1000
  p0=$LAST_PID
  start_rank "$WORK/ns.1" 1 2 "$port" unshare --mount sh -c 'mount -t tmpfs tmpfs /dev/shm && exec "$@"' sh \
    "$KF_ALLREDUCE" --sizes 1,1000
  p1=$LAST_PID
  wait "$p0" || { cat "$WORK/ns.0.err" >&2; die "own /dev/shm: rank 0 failed"; }
  wait "$p1" || { cat "$WORK/ns.1.err" >&2; die "own /dev/shm: rank 1 failed"; }
  expect_contains "$WORK/ns.0.out" "rank 0 of 2: all-reduce correct for 2 sizes (Gloo)"
  expect_contains "$WORK/ns.1.out" "rank 1 of 2: all-reduce correct for 2 sizes (Gloo)"
  ! ls /dev/shm 2>/dev/null | grep -q "^kf-allreduce-$p0-" || die "own /dev/shm: rank 0's segment stayed in /dev/shm"
else
  echo "skip: no mount namespace here, so the fallback of a rank without rank 0's /dev/shm is not tried"
fi

# wait_mapped PID: until PID has mapped its second segment (the control
# segment and --bench's buffer: the rendezvous is over), and a moment for
# its warm-up and Gloo barrier: then it is in the timed loop.
wait_mapped() {
  for _ in $(seq 1 400); do
    [ "$(grep -c /dev/shm/kf-allreduce- "/proc/$1/maps" 2>/dev/null)" -ge 2 ] && sleep 0.5 && return 0
    sleep 0.05
  done
  die "rank 1 never mapped its shared-memory buffer"
}
# A rank killed mid-run is seen through its lock at once; one that stops
# answering, at the collective timeout (kf-allreduce: --rendezvous-timeout).
for how in KILL STOP; do
  port=$(free_port)
  start_rank "$WORK/$how.0" 0 2 "$port" "$KF_ALLREDUCE" --bench --iters=1000000000 --sizes=1024 --rendezvous-timeout=4
  p0=$LAST_PID
  start_rank "$WORK/$how.1" 1 2 "$port" "$KF_ALLREDUCE" --bench --iters=1000000000 --sizes=1024 --rendezvous-timeout=4
  p1=$LAST_PID
  wait_mapped "$p1"
  kill -"$how" "$p1"
  rc=0
  wait "$p0" || rc=$?
  [ "$rc" = 1 ] || die "kill -$how of rank 1: rank 0 exited with $rc"
  kill -9 "$p1" 2>/dev/null || true
  if [ "$how" = KILL ]; then
    expect_contains "$WORK/$how.0.err" \
      "kf-allreduce: error: all-reduce failed on rank 0 (a peer may have died): rank 1 exited (its shared-memory lock is gone)"
  else
    expect_contains "$WORK/$how.0.err" \
      "kf-allreduce: error: all-reduce failed on rank 0 (a peer may have died): timed out after 4s waiting for rank 1"
  fi
done
# Two ranks meeting at this host's own address over Gloo, as ranks on two
# hosts would.
host_ip=$(hostname -I 2>/dev/null | awk '{print $1}')
if [ -n "$host_ip" ]; then
  port=$(free_port)
  pids=()
  for r in 0 1; do
    MASTER_ADDR=$host_ip MASTER_PORT=$port WORLD_SIZE=2 RANK=$r "$KF_ALLREDUCE" --sizes "$sizes" --shm-allreduce=off \
      >"$WORK/host.$r.out" 2>"$WORK/host.$r.err" &
    PIDS+=($!)
    pids+=($!)
  done
  for r in 0 1; do
    wait "${pids[$r]}" || { cat "$WORK/host.$r.err" >&2; die "rank $r at $host_ip exited non-zero"; }
    expect_contains "$WORK/host.$r.out" "rank $r of 2: all-reduce correct for 13 sizes (Gloo)"
  done
fi
echo "ok: all-reduce exact for 2 and 3 ranks over shared memory and Gloo${host_ip:+, and 2 at $host_ip}; dead and stopped peers named; a rank without the segments falls back"
