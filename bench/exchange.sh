#!/usr/bin/env bash
# The exchange platform's stand-in and client (#14), in one run:
#  - `vbdt envelope serve` (a separate process, peak RSS by /usr/bin/time) under sendEdoc of a
#    1 MB envelope then getEdoc + updateStatus of each copy, 8 calls at a time, by
#    bench/exchangeload (vbdt's client), for 200, 1 000 and 3 000 envelopes: pairs/s and memory
#  - `vbdt envelope receive` of 1 000 waiting 1 MB envelopes with 1 and 8 downloads at a time,
#    beside `cp` of the same 1 000 files and `sync` (the disk's own speed)
# usage: bench/exchange.sh   (needs /usr/bin/time; ~8 GB free on /var/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/exchange-$(date +%F).txt
scratch=$(mktemp -d /var/tmp/vbdt-exchange-bench.XXXXXX)
trap 'kill %1 2>/dev/null || true; rm -rf "$scratch"' EXIT
go build -o "$scratch/vbdt" ./cmd/vbdt
go build -o "$scratch/load" ./bench/exchangeload
vbdt=$scratch/vbdt
{
  echo "# bench/exchange.sh, $(date -u '+%F %T UTC')"
  echo "# $(uname -r), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "# $(go version), vbdt $(git rev-parse --short HEAD)"
} | tee "$out"

cat >"$scratch/standin.yaml" <<YAML
systems:
  - {id: 000.00.00.H99, secret: bench-h99}
  - {id: 000.00.00.G22, secret: bench-g22}
agencies:
  - {code: 000.00.00.G22, name: "Văn phòng Chính phủ"}
YAML
cat >"$scratch/vbdt.yaml" <<YAML
agency:
  name: "UBND tỉnh Thử Nghiệm (BENCH)"
  organ_id: "000.00.00.H99"
  abbreviation: "UBND"
  place: "Hà Nội"
YAML
{ printf '%%PDF-1.7\n'; head -c 749991 /dev/urandom; } >"$scratch/doc.pdf"
VBDT_CONFIG=$scratch/vbdt.yaml "$vbdt" envelope pack --to 000.00.00.G22 --code 15/QĐ-UBND --date 2026-11-30 --subject Bench \
  --type-name "Quyết định" --signer "A" "$scratch/doc.pdf" -o "$scratch/env.edxml" >/dev/null
echo "# the envelope: $(stat -c %s "$scratch/env.edxml") bytes" | tee -a "$out"

serve() { # serve DIR: the stand-in in the background, its URL in $url
  rm -f "$scratch/url"
  /usr/bin/time -f %M -o "$scratch/rss" "$vbdt" envelope serve --systems "$scratch/standin.yaml" --dir "$1" \
    --addr 127.0.0.1:0 --url-file "$scratch/url" 2>/dev/null &
  pid=$!
  for _ in $(seq 200); do [ -s "$scratch/url" ] && break; sleep 0.01; done
  url=$(cat "$scratch/url")
}
stop() {
  pkill -INT -P "$pid" # the stand-in, child of time (which ignores SIGINT)
  wait "$pid" || true
  echo "  serve's peak RSS: $(awk '{ printf "%.1f MB", $1 / 1024 }' "$scratch/rss")" | tee -a "$out"
}

echo "== serve: sendEdoc then getEdoc + updateStatus, 8 calls at a time" | tee -a "$out"
for n in 200 1000 3000; do
  rm -rf "$scratch/state"
  serve "$scratch/state"
  "$scratch/load" -url "$url" -file "$scratch/env.edxml" -n "$n" -c 8 -from 000.00.00.H99 -from-secret bench-h99 \
    -to 000.00.00.G22 -to-secret bench-g22 | tee -a "$out"
  stop
done

echo "== receive: 1 000 waiting envelopes" | tee -a "$out"
export VBDT_EXCHANGE_SECRET=bench-g22
for jobs in 1 8; do
  rm -rf "$scratch/state" "$scratch/in"
  serve "$scratch/state"
  "$scratch/load" -url "$url" -file "$scratch/env.edxml" -n 1000 -c 8 -get=false -from 000.00.00.H99 \
    -from-secret bench-h99 -to 000.00.00.G22 -to-secret bench-g22 >/dev/null # they wait for G22
  sync
  a=$EPOCHREALTIME
  "$vbdt" envelope receive --endpoint "$url" --system-id 000.00.00.G22 --kind edoc --jobs "$jobs" -d "$scratch/in" >/dev/null
  sync
  b=$EPOCHREALTIME
  n=$(ls "$scratch/in" | wc -l)
  awk -v j="$jobs" -v n="$n" -v a="$a" -v b="$b" 'BEGIN { printf "vbdt envelope receive --jobs %d   %d envelopes  %6.2f s  %7.1f envelopes/s (to disk, synced)\n", j, n, b - a, n / (b - a) }' | tee -a "$out"
  stop
done
mkdir -p "$scratch/cp"
sync
a=$EPOCHREALTIME
cp "$scratch/in"/*.edxml "$scratch/cp/"
sync
b=$EPOCHREALTIME
awk -v a="$a" -v b="$b" 'BEGIN { printf "cp of the same 1000 files, then sync       %6.2f s  %7.1f files/s (the disk)\n", b - a, 1000 / (b - a) }' | tee -a "$out"
echo "# raw output: $out" | tee -a "$out"
