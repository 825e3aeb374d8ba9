#!/bin/bash
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/coonpz
for run in old1 new1 new2 old2; do
  jar=${run%?}.jar
  { date -u +%FT%TZ; uptime; } > $run.load
  /usr/bin/time -v $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -jar $jar factorize --input big_coo.npz --rank 4 --max-iter 1 > $run.out 2> $run.err
  uptime >> $run.load
done
