#!/bin/bash
# JMH GramStepBenchmark, before (1fd3b0c: main before the per-block kernels, with this benchmark added) and after
# (this branch), in the order before, after, after, before; one JSON and one log per run.
# Usage: jmh-ab.sh OUTDIR 'JMH ARGS' (e.g. 'GramStepBenchmark.gram -p r=16,64 -f 2 -wi 3 -w 1s -i 5 -r 1s')
out=$1; args=$2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
mkdir -p $out
n=0
for side in before after after before; do
  n=$((n + 1))
  echo "=== $n $side $(date -u +%H:%M:%S) $(uptime)" >> $out/runs.txt
  for attempt in $(seq 20); do
    $J -jar /tmp/gram-jmh-$side.jar $args -rf json -rff $out/$n-$side.json > $out/$n-$side.log 2>&1 && break
    grep -q "Unable to acquire the JMH lock" $out/$n-$side.log || break
    sleep 30
  done
done
echo "=== end $(date -u +%H:%M:%S) $(uptime)" >> $out/runs.txt
