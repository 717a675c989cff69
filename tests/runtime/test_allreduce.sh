#!/usr/bin/env bash
# The Gloo all-reduce (and broadcast, barrier) is exact for 2 and 3
# processes on loopback, over sizes from 1 to 1,000,003 floats incl. odd ones.
# With every rank on this host, up to 512 KiB per rank (262,144 floats for
# two ranks) go over the sync-mode context, larger ones over the default
# ring; with a master address that is not loopback, the sync mode stops at
# 32 KiB per rank (16,384 floats for two). Each size also goes through the
# communicator's own buffer (the engine's way), sent in pieces of those
# sizes when larger.
source "$(dirname "$0")/lib.sh"

sizes=1,2,3,7,64,1000,4099,16384,16385,65537,262144,262145,1000003
for world in 2 3; do
  port=$(free_port)
  pids=()
  for ((r = 0; r < world; r++)); do
    start_rank "$WORK/ar$world.$r" "$r" "$world" "$port" "$KF_ALLREDUCE" --sizes "$sizes"
    pids+=("$LAST_PID")
  done
  for ((r = 0; r < world; r++)); do
    wait "${pids[$r]}" || { cat "$WORK/ar$world.$r.err" >&2; die "rank $r of $world exited non-zero"; }
    expect_contains "$WORK/ar$world.$r.out" "rank $r of $world: all-reduce correct for 13 sizes"
  done
done
# Two ranks meeting at this host's own address, as ranks on two hosts would.
host_ip=$(hostname -I 2>/dev/null | awk '{print $1}')
if [ -n "$host_ip" ]; then
  port=$(free_port)
  pids=()
  for r in 0 1; do
    MASTER_ADDR=$host_ip MASTER_PORT=$port WORLD_SIZE=2 RANK=$r "$KF_ALLREDUCE" --sizes "$sizes" \
      >"$WORK/host.$r.out" 2>"$WORK/host.$r.err" &
    PIDS+=($!)
    pids+=($!)
  done
  for r in 0 1; do
    wait "${pids[$r]}" || { cat "$WORK/host.$r.err" >&2; die "rank $r at $host_ip exited non-zero"; }
    expect_contains "$WORK/host.$r.out" "rank $r of 2: all-reduce correct for 13 sizes"
  done
fi
echo "ok: all-reduce exact for 2 and 3 ranks${host_ip:+, and 2 at $host_ip}"
