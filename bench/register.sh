#!/usr/bin/env bash
# Register allocation rate: numbers allocated and registered per second, SQLite (WAL, FULL sync)
# and PostgreSQL (a local server the test starts, fsync on), with 1 and 8 concurrent allocators.
# usage: bench/register.sh [COUNT]   (needs postgresql; the benchmark starts its own server)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/register-$(date +%F).txt
go test ./number/register -run='^$' -bench=Allocate -benchtime=3s -count="${1:-3}" | tee "$out"
