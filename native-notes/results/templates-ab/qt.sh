#!/bin/sh
# Alternated A/B with QuickTimer (thread CPU time): before = main's jar, after = branch kernels.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/kernels-ab
for round in 1 2 3 4 5; do
  for side in before after; do
    for dt in float32 float64; do
      echo "$side $round $dt $(date -u +%H:%M:%S) $(uptime)" >> qt-log.txt
      $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $side.jar \
        org.autobalance.bench.QuickTimer $dt 4096 1,4,16,64 30 2>/dev/null | sed "s/^/$side $round /" >> qt.txt
    done
  done
done
echo "done $(date -u +%H:%M:%S) $(uptime)" >> qt-log.txt
