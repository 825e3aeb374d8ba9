#!/bin/bash
# one JVM per run of the sequence, as a library user launches it (no JIT options unless "options"); variants alternated:
#   main     = the branch point's core (f329ee6) first on the class path, this branch's WarmStart
#   branch   = this branch
#   options  = this branch with the launcher's kernel-compilation options (cli/jit/)
cd /work/wt-warm
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64; export PATH=$JAVA_HOME/bin:$PATH
SEQ=2000x1500:10:400,1000x3000:5,1500x2000:1,1200x900:3,2000x1000:8,3000x1000:16,1000x1000:64,1000x1000:64,1500x1000:48,1100x2900:5,1000x3000:5:float64,1500x1200:3:float64,800x2000:16:float64,2000x1000:40:float64,1000x1000:64:float64,1500x1500:1:float64,1999x1501:10
THREADS=${1:-1}
ROUNDS=${2:-2}
VARIANTS=${3:-"main branch options"}
for round in $(seq $ROUNDS); do
  for variant in $VARIANTS; do
    CP=bench/target/benchmarks.jar; OPTS=()
    [ $variant = main ] && CP=/tmp/mainsrc/core/target/classes:$CP
    [ $variant = options ] && OPTS=(@cli/jit/kernels.args -XX:CompilerDirectivesFile=cli/jit/kernels.json)
    echo "== round $round $variant threads $THREADS $(date -u +%FT%H:%M:%S) $(uptime | sed 's/.*load/load/')"
    java "${OPTS[@]}" --add-modules jdk.incubator.vector -cp $CP org.autobalance.bench.WarmStart float32 $SEQ 60 $THREADS 2>&1 | grep -v -i "warning\|directives added"
  done
done
echo "== end $(date -u +%FT%H:%M:%S) $(uptime | sed 's/.*load/load/')"
