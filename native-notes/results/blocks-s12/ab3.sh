#!/bin/bash
# usage: ab3.sh OUT ROUNDS VARIANTS...; variants: main, br (plain), mainopt, bropt (the launcher's JIT options)
out=$1; rounds=$2; shift 2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OPT="@/work/wt-blocks/cli/jit/kernels.args -XX:CompilerDirectivesFile=/work/wt-blocks/cli/jit/kernels.json"
: > $out
for i in $(seq $rounds); do
  for v in "$@"; do
    case $v in main|mainopt) jar=/tmp/blocks-main/benchmarks.jar;; *) jar=/tmp/blocks-br/benchmarks.jar;; esac
    case $v in *opt) flags=$OPT;; *) flags=;; esac
    echo "=== $v round $i $(uptime)" >> $out
    /usr/bin/time -f "cpu %U user %S sys %e wall" $J --add-modules jdk.incubator.vector $flags -cp $jar org.autobalance.bench.WarmStart float32 ${SEQ:-$(cat /tmp/blocks-res/seq.txt)} 60 1 >> $out 2>&1
  done
done
