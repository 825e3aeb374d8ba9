#!/bin/bash
# old (main's kernels, 92ad182f) vs new (this branch) in alternated JVMs (ABBA), plain JVM options, one thread,
# thread CPU time; SparseAB (native-notes/results/jitrace-s19/SparseAB.java.txt). Usage: ab.sh ROUNDS DTYPE RANKS...
# (REPS=calls per rank, 11 by default; OPTS="@cli/jit/kernels.args -XX:CompilerDirectivesFile=cli/jit/kernels.json"
# from the worktree root for the launcher's options)
rounds=$1; dtype=$2; shift 2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for round in $(seq 1 $rounds); do
  for v in old new new old; do
    if [ $v = old ]; then cp=/tmp/boxing/old/core:/tmp/boxing/old/bench:/tmp/boxing/ab
    else cp=/work/wt-boxing/core/target/classes:/work/wt-boxing/bench/target/classes:/tmp/boxing/ab; fi
    echo "# $v round $round $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    $J $OPTS --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $cp \
      org.autobalance.bench.sparse.SparseAB $dtype uniform ${REPS:-11} 20000 1000 1000000 "$@" 2>/dev/null | sed "s/^/$v /"
  done
done
# Variants used in sparse.md: abvar.sh (varA against new: "old" class path /tmp/boxing/varA:<new bench>) and
# ab-main-varA.sh (main against varA: "new" class path /tmp/boxing/varA:<new bench>) are this script with that path
# replaced by sed; varA = a16405ef's template with the full lane tree (lane 0 only), the exact calls per site.
