#!/bin/bash
# ABBA: old (main 68d895d7) vs new (sparsewide) SparsePhaseTimer PATTERN 16 8
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
F="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
run() { # side pattern
  if [ $1 = old ]; then JAR=/tmp/sw-old/bench/target/benchmarks.jar; else JAR=/work/wt-sparsewide/bench/target/benchmarks.jar; fi
  echo "=== $1 $2 $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
  $J $F -cp $JAR org.autobalance.bench.sparse.SparsePhaseTimer $2 16 8 2>&1
}
for round in 1 2 3; do
  for p in uniform powerlaw; do
    if [ $round = 2 ]; then run new $p; run old $p; else run old $p; run new $p; fi
  done
done
