#!/bin/bash
# kernels.md 29, for a quiet Zen 3 (AVX2): base = the generated FloatFused/DoubleFused of 3663240 (main when branch
# avx2 began), compiled from `git show` and put in front of this branch's jar on the class path; new = this branch
# (float64 r <= 16 on 48-row panels and 48-row MtU tile calls where there are 16 vector registers; float32's tiles
# unchanged, its panel height a variable in gemm/packPanel). JMH FusedPassBenchmark (ms/op and the cpuMs secondary
# metric), one thread, d = 4096, float32 r = 16, 64 and float64 r = 12, 16, 64; order base, new, new, base, base,
# new; warm-up as native-notes/run-jmh.sh (3 x 2 s), 3 x 1 s measured (~6 min: 30 cells of ~12.5 s; dry-run of 2
# short cells 04:05 UTC). JMH's forks inherit the host JVM's class path, so the base classes reach the forks too
# (checked with -Xlog:class+load). Run from the repository root after `mvn -B -q -ntp install -DskipTests
# -Dmaven.javadoc.skip -Djacoco.skip`; JSON per run and log.txt (with the load) go to
# native-notes/results/avx2-s17/quiet/. A failed base build stops it before any run.
set -eo pipefail
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
out=native-notes/results/avx2-s17/quiet
jar=bench/target/benchmarks.jar
base=$(mktemp -d)
mkdir -p "$out" "$base/src"
pkg=core/src/main/java/org/autobalance/kernel/simd
for c in FloatFused DoubleFused; do
  git show "3663240:$pkg/$c.java" > "$base/src/$c.java"
done
# a failed base build must stop the run: java ignores a missing class-path entry, so the A/B would be an A/A
if ! "$J/javac" --add-modules jdk.incubator.vector -nowarn -cp "$jar" -d "$base/classes" "$base"/src/*.java \
    > "$base/javac.log" 2>&1; then
  cat "$base/javac.log" >&2
  exit 1
fi
test -f "$base/classes/org/autobalance/kernel/simd/DoubleFused.class"
flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
jmh() { # $1 = label, $2 = class-path prefix (empty for new)
  echo "$1 $(date -u +%T) $(cat /proc/loadavg)" | tee -a "$out/log.txt"
  "$J/java" -cp "$2$jar" org.openjdk.jmh.Main FusedPassBenchmark -f 1 -wi 3 -w 2s -i 3 -r 1s -p kernels=simd \
    -p d=4096 -p dtype=float32 -p r=16,64 -rf json -rff "$out/$1-f32.json" -jvmArgsAppend "$flags" 2>&1 \
    | grep -E '^FusedPass' | tee -a "$out/log.txt"
  "$J/java" -cp "$2$jar" org.openjdk.jmh.Main FusedPassBenchmark -f 1 -wi 3 -w 2s -i 3 -r 1s -p kernels=simd \
    -p d=4096 -p dtype=float64 -p r=12,16,64 -rf json -rff "$out/$1-f64.json" -jvmArgsAppend "$flags" 2>&1 \
    | grep -E '^FusedPass' | tee -a "$out/log.txt"
}
jmh base1 "$base/classes:"
jmh new1 ""
jmh new2 ""
jmh base2 "$base/classes:"
jmh base3 "$base/classes:"
jmh new3 ""
echo "end $(date -u +%T) $(cat /proc/loadavg)" | tee -a "$out/log.txt"
rm -rf "$base"
