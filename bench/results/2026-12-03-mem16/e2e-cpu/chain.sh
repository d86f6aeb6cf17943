#!/usr/bin/env bash
# old default (A), C1 only on it (B), the new default (C): heap and flags explicit, so the
# launcher's own defaults do not matter; alternating A B C B A
cd /work/wt-mem16
A_heap=16m; A="-XX:+AlwaysPreTouch -XX:TrimNativeHeapInterval=0"
B_heap=16m; B="-XX:+AlwaysPreTouch -XX:TrimNativeHeapInterval=0 -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1"
C_heap=24m; C="-XX:-AlwaysPreTouch -XX:TrimNativeHeapInterval=5000"
n=0
for v in A B C B A; do
  n=$((n+1))
  opts=${!v}; heap_var=${v}_heap; heap=${!heap_var}
  flock /tmp/vmm-build.lock bench/e2e.sh --rounds 1 --latencies "0 1" --no-restart --seconds 15 --settle 5 \
    --bridge-heap "$heap" --bridge-java-opts "$opts" --out /tmp/mem16-e2e/r$n-$v > /tmp/mem16-e2e/r$n-$v.log 2>&1
  echo "$n $v rc=$?" >> /tmp/mem16-e2e/done.txt
done
