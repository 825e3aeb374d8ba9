#!/bin/sh
# ABBA-ordered A/B at r = 64 only (the large-rank classes), thread CPU time.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/kernels-ab
for round in 1 2 3 4; do
  for side in before after after before; do
    for dt in float32 float64; do
      echo "$side $round $dt $(date -u +%H:%M:%S) $(uptime)" >> qt2-log.txt
      $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $side.jar \
        org.autobalance.bench.QuickTimer $dt 4096 64 30 2>/dev/null | sed "s/^/$side $round /" >> qt2.txt
    done
  done
done
echo "done $(date -u +%H:%M:%S) $(uptime)" >> qt2-log.txt
