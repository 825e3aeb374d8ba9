#!/bin/sh
# ABBA: old (main at cad2402) vs new (branch direct), thread CPU time, QuickTimer
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
F="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
cd /tmp/direct
for dt in float32 float64; do
  if [ $dt = float32 ]; then R=8,9,12,16,17,24,32,48; else R=4,5,8,9,12,16,17,24; fi
  for side in old new new old; do
    echo "== $dt $side $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')"
    $J $F -cp $side.jar org.autobalance.bench.QuickTimer $dt 4096 $R 15 2>&1 | grep -v WARN
  done
done
