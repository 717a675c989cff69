#!/usr/bin/env bash
# The Gloo all-reduce (and broadcast, barrier) is exact for 2 and 3
# processes on loopback, over sizes from 1 to 1,048,577 floats incl. odd ones:
# up to 4 MiB (1,048,576 floats, 524,288 doubles) on the sync-mode context's
# chunked ring, past it on the default context's ring.
source "$(dirname "$0")/lib.sh"

for world in 2 3; do
  port=$(free_port)
  pids=()
  for ((r = 0; r < world; r++)); do
    start_rank "$WORK/ar$world.$r" "$r" "$world" "$port" "$KF_ALLREDUCE" --sizes 1,2,3,7,64,1000,4099,65537,1000003,1048576,1048577
    pids+=("$LAST_PID")
  done
  for ((r = 0; r < world; r++)); do
    wait "${pids[$r]}" || { cat "$WORK/ar$world.$r.err" >&2; die "rank $r of $world exited non-zero"; }
    expect_contains "$WORK/ar$world.$r.out" "rank $r of $world: all-reduce correct for 11 sizes"
  done
done
echo "ok: all-reduce exact for 2 and 3 ranks"
