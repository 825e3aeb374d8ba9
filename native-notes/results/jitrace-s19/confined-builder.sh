#!/bin/bash
# Does KernelJitTest.observedPassAfterABuiltMatrixSettlesInAPlainJvm still see observed1's recompile loop now that
# the one-vector loop is in observedRows? As results/observed1-s17/reproduce.sh: SparseMatrix compiled with the
# builder's old confined arena, put first on the class path, ObservedPassProbe in a plain JVM; counts the C2
# compiles of the one-vector kernel (the test allows 4). Run from the repository root after a test-compile.
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
mkdir -p /tmp/jitrace/confined
sed 's/Arena temp = Arena.ofShared()/Arena temp = Arena.ofConfined()/' \
    core/src/main/java/org/autobalance/memory/SparseMatrix.java > /tmp/jitrace/confined/SparseMatrix.java
grep -q "Arena.ofConfined()" /tmp/jitrace/confined/SparseMatrix.java || { echo "the builder's arena line moved"; exit 1; }
"${J%java}javac" -d /tmp/jitrace/confined -cp core/target/classes /tmp/jitrace/confined/SparseMatrix.java
cp=core/target/classes:core/target/test-classes:src-test/target/test-classes
for arena in confined shared; do
    c=$cp; [ $arena = confined ] && c=/tmp/jitrace/confined:$cp
    log=/tmp/jitrace/confined/$arena.xml
    /usr/bin/time -f "%U s user" $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
        -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$log -cp $c \
        org.autobalance.kernel.ObservedPassProbe | tail -1
    for k in FloatSparse DoubleSparse; do
        echo "$arena builder: $k.observedRows C2 compiles:" \
            "$(grep -o "<task [^>]*method='org.autobalance.kernel.simd.$k observedRows[^>]*>" $log \
               | grep -vc "level='[123]'")"
    done
done
