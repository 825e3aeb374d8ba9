#!/bin/sh
# The JMH runs behind the tables of native-notes/kernels.md. Run from the repository root after
#   mvn -q -B install -DskipTests -pl core,bench
# Usage: native-notes/run-jmh.sh [set ...]   sets: ceiling simd4096 simd1024 scalar1024 scalar4096 simd512 ceiling512
# (gramstep is extra: the Gram matrix and the gradient step, GramStepBenchmark, d = 4096)
# (default: all; large512 is extra: 256 bits, 512 for r >= 64 float32 / 32 float64). Output: native-notes/results/<set>.txt (full JMH logs). JAR=... overrides the benchmarks jar.
# JMH takes a machine-wide lock (/tmp/jmh.lock): on a shared machine, wait for other users' runs instead of failing.
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
JAR=${JAR:-bench/target/benchmarks.jar}
OUT=native-notes/results
COMMON="-f 2 -wi 3 -w 2s -i 5 -r 2s"
# -jvmArgsAppend on the command line REPLACES the @Fork(jvmArgsAppend) of the benchmark: repeat every flag.
FLAGS512="--add-modules jdk.incubator.vector --add-opens java.base/jdk.internal.misc=ALL-UNNAMED"
FLAGS512="$FLAGS512 --enable-native-access=ALL-UNNAMED -Dagrona.disable.bounds.checks=true"
FLAGSLARGE="$FLAGS512 -Dautobalance.simd.largeRankBits=512"
FLAGS512="$FLAGS512 -Dautobalance.simd.bits=512"
run() {
    out=$1
    shift
    for attempt in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        if $J -jar $JAR "$@" > "$out" 2>&1; then
            return 0
        fi
        grep -q "Unable to acquire the JMH lock" "$out" || return 1
        sleep 30
    done
    return 1
}
SETS=${*:-ceiling simd4096 simd1024 scalar1024 scalar4096 simd512 ceiling512}
for s in $SETS; do
    case $s in
    ceiling) run $OUT/ceiling-256.txt CeilingProbe $COMMON -bm thrpt ;;
    simd4096) run $OUT/fused-simd-4096.txt FusedPassBenchmark $COMMON -p kernels=simd -p d=4096 ;;
    simd1024) run $OUT/fused-simd-1024.txt FusedPassBenchmark $COMMON -p kernels=simd -p d=1024 ;;
    scalar1024) run $OUT/fused-scalar-1024.txt FusedPassBenchmark $COMMON -p kernels=scalar -p d=1024 -p r=1,4,16 ;;
    scalar4096) run $OUT/fused-scalar-4096.txt FusedPassBenchmark $COMMON -p kernels=scalar -p d=4096 -p r=1 ;;
    simd512) run $OUT/fused-simd512-4096.txt FusedPassBenchmark $COMMON -p kernels=simd -p d=4096 \
        -p r=1,16,64,256 -jvmArgsAppend "$FLAGS512" ;;
    large512) run $OUT/fused-large512-4096.txt FusedPassBenchmark $COMMON -p kernels=simd -p d=4096 \
        -p r=16,64,256 -jvmArgsAppend "$FLAGSLARGE" ;;
    gramstep) run $OUT/gram-step-4096.txt GramStepBenchmark $COMMON ;;
    ceiling512) run $OUT/ceiling-512.txt CeilingProbe $COMMON -bm thrpt -jvmArgsAppend "$FLAGS512" ;;
    *) echo "unknown set $s" >&2; exit 2 ;;
    esac
done
