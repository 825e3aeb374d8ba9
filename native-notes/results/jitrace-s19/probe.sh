#!/bin/bash
# KernelJitTest's plain-options child (RankSequenceProbe, HotSpot's default compile options, thresholds scaled by 0.1,
# -XX:+LogCompilation) run N times; extra JVM options after N (e.g. the race forced: observed2 compiled late, or
# -XX:InlineSmallCode=100000: every callee inlined as if it had no compiled code). Prints, per run, the C2 compiles
# of kernels that bound a Vector API call from a type profile, and the observed pass's inline decisions.
# Run from the repository root after `mvn test-compile -pl core,cli,src-test -am`.
# Usage: [FIRST=DIR] probe.sh TAG N [JVM options...]; FIRST: a directory of classes put first on the class path
# (the old FloatSparse and DoubleSparse, built by old-classes.sh)
tag=$1; n=$2; shift 2
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
here=$(dirname "$0")
cp=${FIRST:+$FIRST:}core/target/classes:core/target/test-classes:src-test/target/test-classes
out=/tmp/jitrace/$tag; mkdir -p $out
for i in $(seq 1 $n); do
    log=$out/run$i.xml
    /usr/bin/time -f "%U s user %e s wall" -o $out/run$i.time $J --add-modules jdk.incubator.vector \
        --enable-native-access=ALL-UNNAMED -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$log \
        -XX:CompileThresholdScaling=0.1 "$@" -cp $cp org.autobalance.kernel.RankSequenceProbe > $out/run$i.out 2>&1
    bad=$(python3 $here/inlines.py $log | grep -v "profiled=-" | grep -c "^[0-9]")
    cut=$(python3 $here/units.py $log "" | grep -c "past the cutoff")
    echo "$tag run $i: $(tail -1 $out/run$i.out) $(cat $out/run$i.time) profile-bound compiles: $bad," \
        "compiles past the inlining cutoff: $cut"
    python3 $here/units.py $log
done
