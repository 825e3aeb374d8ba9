#!/bin/bash
# observed1's recompile loop with the sparse builder's old confined arena (seventeenth session, branch sparsefix).
# Run from the repository root after `mvn test-compile -pl core,cli,src-test -am`. "old" compiles SparseMatrix with
# Arena.ofConfined() in Builder.build into /tmp/observed1-old and puts it first on the class path.
set -e
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
mkdir -p /tmp/observed1-old
sed 's/Arena temp = Arena.ofShared()/Arena temp = Arena.ofConfined()/' \
    core/src/main/java/org/autobalance/memory/SparseMatrix.java > /tmp/observed1-old/SparseMatrix.java
"${J%java}javac" -d /tmp/observed1-old -cp core/target/classes /tmp/observed1-old/SparseMatrix.java
cp=core/target/classes:src-test/target/test-classes
for variant in old new; do
    for bits in 128 256; do
        c=$cp; [ $variant = old ] && c=/tmp/observed1-old:$cp
        log=/tmp/observed1-$variant-$bits
        /usr/bin/time -f "%U s user" $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
            -Dautobalance.simd.bits=$bits -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$log.xml \
            -Xlog:deoptimization=debug:file=$log.deopt -cp $c org.autobalance.kernel.ObservedPassProbe
        for k in FloatSparse DoubleSparse; do
            echo "$variant $bits bits $k.observed1 C2 compiles:" \
                "$(grep -o "<task [^>]*method='org.autobalance.kernel.simd.$k observed1[^>]*>" $log.xml \
                   | grep -vc "level='[123]'")"
        done
    done
done
# the hsdis run (hsdis-amd64.so from native-notes/tools/hsdis/build.sh on LD_LIBRARY_PATH):
# $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UnlockDiagnosticVMOptions \
#   -XX:CompileCommand=quiet -XX:CompileCommand=print,org.autobalance.kernel.simd.FloatSparse::observed1 \
#   -Xlog:deoptimization=debug -cp /tmp/observed1-old:$cp org.autobalance.kernel.ObservedPassProbe
