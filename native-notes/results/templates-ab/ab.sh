#!/bin/sh
# Alternated A/B of the dense fused pass: before = main's benchmarks.jar, after = branch kernels.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/kernels-ab
for round in 1 2 3; do
  for side in before after; do
    out=res-$side-$round
    echo "$side round $round start $(date -u +%H:%M:%S) $(uptime)" >> log.txt
    for attempt in $(seq 1 40); do
      if $J -jar $side.jar FusedPassBenchmark -p kernels=simd -p d=4096 -p r=1,4,16,64 -p dtype=float32,float64 \
          -f 1 -wi 4 -w 1s -i 5 -r 1s -rf json -rff $out.json > $out.txt 2>&1; then break; fi
      grep -q "Unable to acquire the JMH lock" $out.txt || break
      sleep 15
    done
    echo "$side round $round end $(date -u +%H:%M:%S) $(uptime)" >> log.txt
  done
done
echo done >> log.txt
