#!/bin/bash
# more ABBA rounds of bench sparse at r = 16 only, without scipy: old (/tmp/sw-old) vs new (/tmp/sw-new)
sp() {
  echo "=== sparse $1 $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd /tmp/sw-$1 && ./autobalance bench sparse --pattern uniform,powerlaw --rank 16 --threads 1 --objective full --no-python 2>&1)
  echo "=== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
}
for round in 1 2 3; do
  if [ $round = 2 ]; then sp old; sp new; sp new; sp old; else sp new; sp old; sp old; sp new; fi
done
