#!/bin/bash
# Inputs: M523x301.npy, M1000x777.npy, M203x1031.npy (numpy: rank-24 Gaussian product + 0.1 noise, seed 5).
# Runs factorize with main's and the branch's cli jar on the same inputs and compares U.npy, V.npy byte for byte.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/blocks-bits
n=0; bad=0
run() { # flags... -- args...
  local flags=() ; while [[ $1 != -- ]]; do flags+=("$1"); shift; done; shift
  for v in main br; do
    jar=/tmp/blocks-mainclone/cli/target/autobalance.jar; [[ $v = br ]] && jar=/work/wt-blocks/cli/target/autobalance.jar
    rm -rf out-$v
    $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "${flags[@]}" -jar $jar factorize "$@" \
      --max-iter 30 --tol 0 --out-format npy --out out-$v >/dev/null 2>err-$v || { echo "FAIL run $v: $*"; cat err-$v; }
  done
  n=$((n+1))
  if cmp -s out-main/U.npy out-br/U.npy && cmp -s out-main/V.npy out-br/V.npy && [[ -s out-main/U.npy ]]; then
    echo "same: ${flags[*]} $*"
  else
    bad=$((bad+1)); echo "DIFFERENT: ${flags[*]} $*"
  fi
}
# first run (bits-all.txt, its first 32 lines): every rank at 523 x 301, one and two threads
for dt in float32 float64; do
  for r in 1 3 5 8 12 16 40 64; do
    for t in 1 2; do
      run -- --input M523x301.npy --rank $r --dtype $dt --threads $t
    done
  done
done
# second run (the next 34 lines)
for dt in float32 float64; do
  for r in 1 3 5 8 16 40; do
    run -- --input M1000x777.npy --rank $r --dtype $dt --threads 2
  done
  for r in 2 7 16; do
    run -- --input M203x1031.npy --rank $r --dtype $dt --threads 1
  done
done
# the AVX-512 paths' code at 256 bits: row stream (f32 r 9-16, f64 r 5-8) and the 4 x 4 tiles
for dt in float32 float64; do
  for r in 5 8 12 16 32 64; do
    run -Dautobalance.simd.wideTiles=true -Dautobalance.simd.largeRankBits=256 -- --input M523x301.npy --rank $r --dtype $dt --threads 2
  done
done
for dt in float32 float64; do
  for r in 3 16; do
    run -Dautobalance.simd.bits=128 -- --input M523x301.npy --rank $r --dtype $dt --threads 2
  done
done
# third run, after the gradient step went to 16 rows per call (bits-step16.txt)
run -- --input M523x301.npy --rank 5 --dtype float32 --threads 2
run -- --input M523x301.npy --rank 16 --dtype float32 --threads 2
run -- --input M523x301.npy --rank 3 --dtype float64 --threads 1
run -- --input M523x301.npy --rank 40 --dtype float64 --threads 1
run -- --input M1000x777.npy --rank 1 --dtype float32 --threads 2
run -- --input M203x1031.npy --rank 7 --dtype float64 --threads 1
run -- --input M1000x777.npy --rank 64 --dtype float32 --threads 1
run -Dautobalance.simd.wideTiles=true -Dautobalance.simd.largeRankBits=256 -- --input M523x301.npy --rank 12 --dtype float32 --threads 2
echo "$n compared, $bad different"
