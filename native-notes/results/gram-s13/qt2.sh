#!/bin/bash
# QuickTimer ABBA for one kernel and dtype list: rounds of before, after, after, before
out=$1; rounds=$2; kernel=$3; shift 3
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
: > $out
for i in $(seq $rounds); do
  for order in main br br main; do
    for dt in "$@"; do
      echo "=== $order $kernel $dt $(uptime)" >> $out
      $J --add-modules jdk.incubator.vector -cp /tmp/blocks-$order/benchmarks.jar org.autobalance.bench.QuickTimer $dt 4096 ${RANKS:-1,4,16,64} ${REPS:-30} simd $kernel >> $out 2>&1
    done
  done
done
