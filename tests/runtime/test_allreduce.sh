#!/usr/bin/env bash
# The Gloo all-reduce (and broadcast, barrier) is exact for 2 and 3
# processes on loopback, over sizes from 1 to 1,000,003 floats incl. odd ones:
# the small ones go through the gather-and-sum path, the rest through the
# ring: with two ranks, 65,536 floats (512 KiB gathered) are the last gathered.
source "$(dirname "$0")/lib.sh"

for world in 2 3; do
  port=$(free_port)
  pids=()
  for ((r = 0; r < world; r++)); do
    start_rank "$WORK/ar$world.$r" "$r" "$world" "$port" "$KF_ALLREDUCE" --sizes 1,2,3,7,64,1000,4099,65536,65537,1000003
    pids+=("$LAST_PID")
  done
  for ((r = 0; r < world; r++)); do
    wait "${pids[$r]}" || { cat "$WORK/ar$world.$r.err" >&2; die "rank $r of $world exited non-zero"; }
    expect_contains "$WORK/ar$world.$r.out" "rank $r of $world: all-reduce correct for 10 sizes"
  done
done
echo "ok: all-reduce exact for 2 and 3 ranks"
