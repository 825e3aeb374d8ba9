#!/bin/bash
# the launcher's JVM (serial GC, the JIT options, no AOT cache) with main's and the branch's cli jar, alternated
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=$1; rounds=$2
: > $out
cd /tmp/blocks-bits
for i in $(seq $rounds); do
  for v in main br; do
    jar=/tmp/blocks-mainclone/cli/target/autobalance.jar; root=/tmp/blocks-mainclone
    [[ $v = br ]] && { jar=/work/wt-blocks/cli/target/autobalance.jar; root=/work/wt-blocks; }
    for c in "L500x300.npy 5 float32" "L500x300.npy 5 float64" "L2000x1500.npy 10 float32" "L1500x2000.npy 1 float32"; do
      set -- $c
      echo "=== $v $i $c $(uptime | sed 's/.*average: //')" >> $out
      /usr/bin/time -f "time %e wall %U user %S sys" $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
        -XX:+UseSerialGC @$root/cli/jit/kernels.args -XX:CompilerDirectivesFile=$root/cli/jit/kernels.json \
        -jar $jar factorize --input $1 --rank $2 --dtype $3 --threads 2 --out-format npy --out lout-$v >/dev/null 2>>$out
    done
  done
done
