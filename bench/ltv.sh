#!/usr/bin/env bash
# Long-term signatures (#15), in one run: 1 000 one-page PDFs signed by sign.Batch (2 workers,
# one RSA-2048 file key) at B-B, B-T, B-LT and B-LTA, with the test PKI's TSA and OCSP
# responders in process on loopback (BenchmarkBatchLevels, sign/bench_test.go): documents/s per
# level, and the OCSP requests and timestamps each run made (B-LT/B-LTA must make exactly one
# OCSP request per certificate: 3). Three rounds, the levels alternating (this VM's speed
# drifts by a fifth within a minute).
# usage: bench/ltv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/ltv-$(date +%F).txt
{
  echo "# bench/ltv.sh, $(date -u '+%F %T UTC')"
  echo "# $(uname -r), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "# $(go version), vbdt $(git rev-parse --short HEAD)"
  go test -c -o /tmp/vbdt-sign-bench.test ./sign
  for round in 1 2 3; do
    echo "# round $round"
    /tmp/vbdt-sign-bench.test -test.run '^$' -test.bench 'BatchLevels' -test.benchtime 1x | grep '^Benchmark'
  done
} | tee "$out"
echo "# raw output: $out"
