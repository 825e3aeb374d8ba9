#!/bin/sh
# Alternated A/B with QuickTimer (thread CPU time): before = the branch point (77f8e27), after = branch tiles.
# Rounds alternate the order (before first, then after first) so that a load trend favours neither side.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/tiles-ab
for round in 1 2 3; do
  if [ $((round % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for side in $order; do
    for dt in float32 float64; do
      echo "$side $round $dt $(date -u +%H:%M:%S) $(uptime)" >> qt-log.txt
      $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $side.jar \
        org.autobalance.bench.QuickTimer $dt 4096 1,4,8,16,64 20 2>/dev/null | sed "s/^/$side $round /" >> qt.txt
    done
  done
done
echo "done $(date -u +%H:%M:%S) $(uptime)" >> qt-log.txt
