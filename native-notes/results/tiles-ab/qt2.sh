#!/bin/sh
# ABBA re-run with the final kernels (after4.jar: k1r4 left with one row offset) against the branch point.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/tiles-ab
for step in "before 1" "after4 1" "after4 2" "before 2"; do
  set -- $step
  for dt in float32 float64; do
    echo "$1 $2 $dt $(date -u +%H:%M:%S) $(uptime)" >> qt2-log.txt
    $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $1.jar \
      org.autobalance.bench.QuickTimer $dt 4096 1,4,8,16,64 20 2>/dev/null | sed "s/^/$1 $2 /; s/^after4/after/" >> qt2.txt
  done
done
echo "done $(date -u +%H:%M:%S) $(uptime)" >> qt2-log.txt
