#!/bin/bash
# Paired in-JVM A/B (GramAB.java): for each "kernel dtype r calls" case, $2 JVMs alternating which jar is A.
# Usage: ab.sh OUT JVMS BEFORE.jar AFTER.jar "gram float32 64 10" ...
out=$1; n=$2; before=$3; after=$4; shift 4
cases=("$@")
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
# the source-file launcher needs a .java name; kept as .txt here so that no build or checker takes it for source
cp "$(dirname "$0")"/GramAB.java.txt /tmp/GramAB.java
for i in $(seq $n); do
  for c in "${cases[@]}"; do
    set -- $c
    if [ $((i % 2)) = 1 ]; then a=$before; b=$after; o="A=before"; else a=$after; b=$before; o="A=after"; fi
    echo "=== $o $c $(uptime)" >> $out
    $J --add-modules jdk.incubator.vector /tmp/GramAB.java $a $b $2 4096 $3 $1 ${BLOCKS:-30} $4 2>&1 \
      | grep -E "^block|^(gram|step|pass) " >> $out
  done
done
