#!/bin/bash
# The runs of native-notes/sparse.md, "The observed pass's profile-bound stores: fixed by structure" (nineteenth
# session): the probe on the old kernels (FIRST=/tmp/jitrace/old-classes, from old-classes.sh) and on this branch's,
# in plain JVMs, with the row kernels compiled late (the race's order made the rule: their thresholds 20x the
# driver's) and with every inline C2's size rules allow (InlineSmallCode past any compiled kernel).
here=$(dirname "$0")
late="-XX:CompileCommand=quiet"
for m in observed1 observed2 observedWide observedRows 'update*'; do
    late="$late -XX:CompileCommand=CompileThresholdScaling,*Sparse::$m,20.0"
done
isc=-XX:InlineSmallCode=1000000
narrow="-Dautobalance.simd.bits=128 -Dautobalance.simd.largeRankBits=256 -Dautobalance.simd.wideTiles=false"
stream="-Dautobalance.simd.largeRankBits=256 -Dautobalance.simd.wideTiles=true -Dautobalance.simd.smallRank.float32=2
 -Dautobalance.simd.smallRank.float64=1"
case $1 in
old) FIRST=/tmp/jitrace/old-classes $here/probe.sh old-plain ${2:-4}
     FIRST=/tmp/jitrace/old-classes $here/probe.sh old-late ${2:-4} $late ;;
new) $here/probe.sh new-plain ${2:-8}
     $here/probe.sh new-late ${2:-4} $late
     $here/probe.sh new-isc ${2:-4} $isc
     $here/probe.sh new-isc-128 ${3:-2} $isc $narrow
     $here/probe.sh new-isc-stream ${3:-2} $isc $stream ;;
esac
