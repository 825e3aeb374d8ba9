#!/bin/bash
# usage: run.sh JAR N [timeout]
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
n=$2; to=${3:-900}
echo "== $1 n=$n $(date -u +%H:%M:%S) load: $(uptime | sed 's/.*average: //')"
/usr/bin/time -f "wall %e s, user %U s, sys %S s" timeout $to $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar $1 network --data /tmp/probe2/X$n.npy,/tmp/probe2/Y$n.npy --layers dense:$n,relu,dense:$n,relu,dense:5 --max-iter 1 --threads 1 2>&1 | grep -v WARNING | tail -4
