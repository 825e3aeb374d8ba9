#!/bin/bash
# Gram float32 r = 64 (QuickTimer), one JVM per line: default object alignment (8) against 32-byte alignment,
# alternated. Hypothesis: the bimodal Gram time between JVMs is the alignment of the scratch arrays.
out=$1; rounds=$2; jar=${3:-/tmp/gram-head.jar}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
: > $out
for i in $(seq $rounds); do
  for v in 8 32; do
    echo "=== align$v $(uptime)" >> $out
    $J -XX:ObjectAlignmentInBytes=$v --add-modules jdk.incubator.vector -cp $jar org.autobalance.bench.QuickTimer \
      float32 4096 ${RANKS:-64} ${REPS:-30} simd gram 2>&1 | grep -v WARNING >> $out
  done
done
