#!/bin/bash
# Issue 14's shares of the roofline on the Zen 3 (AVX2) guest: float32 at the --quick ranks (1, 16, 64) and float64 at
# the small ranks 2, 4, 8, each cell against the ceilings probed in the same run. Run from the repository root.
out=native-notes/results/roofline-s13
for i in 1 2; do
  echo "=== quick f32 $i $(date -u +%H:%M:%S) $(uptime)" >> $out/runs.txt
  ./autobalance bench --quick --json $out/quick-f32-$i.json > $out/quick-f32-$i.txt 2>&1
  echo "=== f64 small $i $(date -u +%H:%M:%S) $(uptime)" >> $out/runs.txt
  ./autobalance bench --dtype float64 --rank 2,4,8 --warmup 1.5 --measure 2 --json $out/f64-small-$i.json \
    > $out/f64-small-$i.txt 2>&1
done
echo "=== end $(date -u +%H:%M:%S) $(uptime)" >> $out/runs.txt
