#!/bin/bash
# ABBA of bench sparse (the launcher's plain-JVM flags, as ./autobalance bench runs it): old = main's jar (1a2bde8c,
# built from git archive in /tmp), new = this branch's; args after the objective go to BenchCommand.
# usage: abba.sh OBJECTIVE OUTFILE
obj=$1; out=$2
J="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
for jar in old new new old; do
  echo "=== $jar $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
  $J -cp /tmp/obs-$jar.jar org.autobalance.bench.baseline.BenchCommand sparse --pattern uniform,powerlaw \
      --rank 16,64 --threads 1 --objective $obj --no-python 2>&1 | grep -v "^WARNING"
done > "$out"
