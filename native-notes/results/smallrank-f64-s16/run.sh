#!/bin/bash
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /work/main
for round in 1 2 3; do for V in 4 8; do
  echo "round $round V=$V $(date -u +%T) $(cat /proc/loadavg)"
  $J -jar bench/target/benchmarks.jar FusedPassBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -p kernels=simd -p d=4096 -p dtype=float64 -p r=5,6,8 -rf json -rff /tmp/jmh-f64/r$round-V$V.json -jvmArgsAppend "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dautobalance.simd.smallRank.float64=$V" 2>&1 | grep -E '^FusedPass|Benchmark ' 
done; done
