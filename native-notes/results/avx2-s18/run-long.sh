#!/bin/bash
# kernels.md 29.4's open question, settled with longer JMH runs on a quiet machine: float64 r = 16 (and r = 12) at
# d = 4096, one thread, 48-row panels (the default where there are 16 vector registers) against 96-row panels
# (-Dautobalance.simd.halfPanel.float64=0, which gives the code before 29.4: TR = RB and every panel RB rows).
# JMH FusedPassBenchmark, one fork per run, 3 x 2 s warm-up, 10 x 3 s measured; order 96, 48, 48, 96, 96, 48.
# Run from the repository root after `mvn -B -q -ntp install -DskipTests -Dmaven.javadoc.skip -Djacoco.skip`.
set -eo pipefail
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
out=native-notes/results/avx2-s18/long
mkdir -p "$out"
flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
jmh() { # $1 = label, $2 = extra JVM flags
  echo "$1 $(date -u +%T) $(cat /proc/loadavg)" | tee -a "$out/log.txt"
  "$J/java" -cp bench/target/benchmarks.jar org.openjdk.jmh.Main FusedPassBenchmark -f 1 -wi 3 -w 2s -i 10 -r 3s \
    -p kernels=simd -p d=4096 -p dtype=float64 -p r=12,16 -rf json -rff "$out/$1.json" \
    -jvmArgsAppend "$flags $2" 2>&1 | grep -E '^FusedPass' | tee -a "$out/log.txt"
}
jmh rb96-1 -Dautobalance.simd.halfPanel.float64=0
jmh rb48-1 ""
jmh rb48-2 ""
jmh rb96-2 -Dautobalance.simd.halfPanel.float64=0
jmh rb96-3 -Dautobalance.simd.halfPanel.float64=0
jmh rb48-3 ""
echo "end $(date -u +%T) $(cat /proc/loadavg)" | tee -a "$out/log.txt"
