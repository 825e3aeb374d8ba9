#!/bin/bash
# Compiles FloatSparse and DoubleSparse as they were before this branch (commit 218e773e) into /tmp/jitrace/old-classes,
# for probe.sh and the timers (FIRST=/tmp/jitrace/old-classes). Run from the repository root after a compile.
set -e
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
mkdir -p /tmp/jitrace/old-src /tmp/jitrace/old-classes
for c in FloatSparse DoubleSparse; do
    git show 218e773e:core/src/main/java/org/autobalance/kernel/simd/$c.java > /tmp/jitrace/old-src/$c.java
done
$J/javac --add-modules jdk.incubator.vector -nowarn -d /tmp/jitrace/old-classes -cp core/target/classes \
    /tmp/jitrace/old-src/*.java 2>&1 | grep -v "incubat" || true
