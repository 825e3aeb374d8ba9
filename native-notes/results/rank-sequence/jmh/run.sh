#!/bin/bash
# A/B of the fused pass, old kernels (base.jar) vs exact-typed kernels (new3.jar), alternated, 1 fork each
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for round in 1 2; do
for jar in base new4; do
  for dt in float32 float64; do
    if [ $dt = float32 ]; then R=1,4,16,64; else R=4,16; fi
    echo "=== round $round jar $jar dtype $dt $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $J -Djmh.ignoreLock=true -jar jars/$jar.jar FusedPassBenchmark -f 1 -wi 4 -w 1s -i 5 -r 1s -p d=4096 -p r=$R -p dtype=$dt -p kernels=simd -rf json -rff jmh-$jar-$dt-$round.json 2>&1 
  done
done
done
