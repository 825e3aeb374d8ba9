#!/bin/sh
# Prints the machine code C2 makes of the fused-pass kernels and their innermost loops (native-notes/tools/README.md).
# Usage, from the repository root after `mvn -B -q -ntp -pl core,bench -am package -DskipTests` and
# native-notes/tools/hsdis/build.sh:
#   native-notes/tools/print-kernel-asm.sh DTYPE RANK [METHOD ...]
# DTYPE float32|float64; METHOD as Class::method of org.autobalance.kernel.simd (default: every method of the
# package, i.e. a large log). Runs FusedPassBenchmark (one JMH fork, one thread, d = $D, default 4096) with
# -XX:CompileCommand=print for those methods; writes the whole log to $OUT/<dtype>-r<rank>.log (OUT default target/asm)
# and prints the innermost loops of the last C2 compilation of each method (asm-loops.py). EXTRA adds JVM flags
# (e.g. EXTRA=-Dautobalance.simd.largeRankBits=256).
set -e
[ $# -ge 2 ] || { echo "usage: $0 DTYPE RANK [Class::method ...]" >&2; exit 2; }
DTYPE=$1
RANK=$2
shift 2
D=${D:-4096}
OUT=${OUT:-target/asm}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
HSDIS=$PWD/target/hsdis
[ -f "$HSDIS/hsdis-amd64.so" ] || { echo "$0: $HSDIS/hsdis-amd64.so missing: run native-notes/tools/hsdis/build.sh" >&2; exit 2; }
[ -f bench/target/benchmarks.jar ] || { echo "$0: bench/target/benchmarks.jar missing: build first (mvn -B -q -ntp -pl core,bench -am package -DskipTests)" >&2; exit 2; }
PKG=org.autobalance.kernel.simd
PRINT=""
FILTER=""
if [ $# -eq 0 ]; then
    PRINT="-XX:CompileCommand=print,$PKG.*::*"
    FILTER=$PKG
fi
for m in "$@"; do
    PRINT="$PRINT -XX:CompileCommand=print,$PKG.$m"
    FILTER="${FILTER:+$FILTER|}$m"
done
# -jvmArgsAppend on the JMH command line replaces the benchmark's @Fork flags: repeat them (see run-jmh.sh).
FLAGS="--add-modules jdk.incubator.vector --add-opens java.base/jdk.internal.misc=ALL-UNNAMED"
FLAGS="$FLAGS --enable-native-access=ALL-UNNAMED -Dagrona.disable.bounds.checks=true"
FLAGS="$FLAGS -XX:+UnlockDiagnosticVMOptions -XX:PrintAssemblyOptions=intel $PRINT ${EXTRA:-}"
mkdir -p "$OUT"
LOG=$OUT/$DTYPE-r$RANK.log
LD_LIBRARY_PATH=$HSDIS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$J" -jar bench/target/benchmarks.jar FusedPassBenchmark \
    -p d="$D" -p r="$RANK" -p dtype="$DTYPE" -p kernels=simd -f 1 -wi 4 -w 1s -i 2 -r 1s -jvmArgsAppend "$FLAGS" \
    > "$LOG" 2>&1 || { tail -20 "$LOG" >&2; exit 1; }
grep -q "Loading hsdis library failed\|Could not load hsdis" "$LOG" && { echo "$0: the JVM did not load hsdis" >&2; exit 1; }
grep "^FusedPassBenchmark.fusedPass " "$LOG" || true
python3 "$(dirname "$0")/asm-loops.py" "$LOG" "$FILTER"
