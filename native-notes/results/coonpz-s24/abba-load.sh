#!/bin/bash
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/coonpz
for t in float32 float64; do
for run in old1 new1 new2 old2; do
  jar=${run%?}.jar
  { date -u +%FT%TZ; uptime; } > load-$t-$run.load
  /usr/bin/time -v $J -XX:+UseSerialGC -cp $jar Load.java big_coo.npz $t > load-$t-$run.out 2> load-$t-$run.err
  uptime >> load-$t-$run.load
done
done
