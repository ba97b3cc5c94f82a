#!/usr/bin/env bash
# PKCS#11 signer cost: vbdt's crypto.Signer against raw miekg/pkcs11 C_SignInit+C_Sign on the
# same SoftHSM2 session and key, and a software key for reference, in one run.
# usage: bench/pkcs11.sh [COUNT]   (needs softhsm2, opensc; benchstat is installed if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
command -v benchstat >/dev/null || go install golang.org/x/perf/cmd/benchstat@latest
out=bench/pkcs11-$(date +%F).txt
go test ./internal/keys -run='^$' -bench=PKCS11 -benchtime=3s -count="$count" | tee "$out"
"$(go env GOPATH)/bin/benchstat" "$out"
