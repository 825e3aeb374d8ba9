#!/bin/bash
# Is the slow state a co-runner? GramAB (before, after) pinned to CPU 0, 60 blocks of 30 calls (~3 s after a 6 s
# warm-up); a spinner pinned to CPU 1 from 8 to 12 s after the start: $2 = int (a shell loop) or fma (GramFlip).
out=$1; kind=$2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
# the source-file launcher needs a .java name; kept as .txt here so that no build or checker takes it for source
cp "$(dirname "$0")"/GramAB.java.txt /tmp/GramAB.java
echo "=== corun $kind $(uptime)" >> $out
taskset -c 0 $J --add-modules jdk.incubator.vector /tmp/GramAB.java /tmp/blocks-main/benchmarks.jar /tmp/gram-head.jar \
  float32 4096 64 gram 60 30 2>&1 | grep -E "^block|^gram" >> $out &
p=$!
sleep 9
echo "spinner start $(date +%s%3N)" >> $out
if [ $kind = int ]; then taskset -c 1 bash -c 'end=$((SECONDS+4)); while [ $SECONDS -lt $end ]; do :; done'
else # GramFlip.java.txt, compiled into /tmp/gramx
  timeout 4 taskset -c 1 $J --add-modules jdk.incubator.vector -cp /tmp/gram-head.jar:/tmp/gramx GramFlip >/dev/null 2>&1
fi
echo "spinner end $(date +%s%3N)" >> $out
wait $p
