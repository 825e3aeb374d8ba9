#!/bin/bash
# Before/after timing of the observed pass (and of the full loss's fused pass, unchanged: the control), one thread,
# thread CPU time, old and new kernels in alternated JVMs (ABBA), plain JVM options unless OPTS says otherwise.
# SparseAB.java.txt (here) is compiled to /tmp/jitrace/ab; the old kernels come from old-classes.sh.
# Usage: ab.sh ROUNDS DTYPE RANKS...   (OPTS="@cli/jit/kernels.args ..." for the launcher's options)
rounds=$1; dtype=$2; shift 2
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
cp=core/target/classes:bench/target/classes:/tmp/jitrace/ab
for round in $(seq 1 $rounds); do
    for v in old new new old; do
        first=""; [ $v = old ] && first=/tmp/jitrace/old-classes:
        echo "# $v round $round $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
        $J $OPTS --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $first$cp \
            org.autobalance.bench.sparse.SparseAB $dtype uniform 11 20000 1000 1000000 "$@" 2>/dev/null | sed "s/^/$v /"
    done
done
