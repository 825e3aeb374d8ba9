#!/bin/bash
# ABBA: old (main 68d895d7, /tmp/sw-old) vs new (sparsewide 78c16f89, /tmp/sw-new): bench sparse, then the dense bench
while kill -0 $(cat /tmp/sw/phases.pid) 2>/dev/null; do sleep 5; done
sp() { # side extra...
  local side=$1; shift
  echo "=== sparse $side $* $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd /tmp/sw-$side && ./autobalance bench sparse --pattern uniform,powerlaw --rank 16,64 --threads 1 --objective full "$@" 2>&1)
  echo "=== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
}
de() {
  echo "=== dense $1 $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd /tmp/sw-$1 && ./autobalance bench --impl autobalance --rank 1,16,64 --threads 1 2>&1)
  echo "=== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
}
sp new
sp old --no-python
sp old --no-python
sp new --no-python
de old
de new
de new
de old
sp old --no-python
sp new
sp new --no-python
sp old --no-python
