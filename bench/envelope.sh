#!/usr/bin/env bash
# edXML envelopes (#13), in one run, side by side:
#  - pack and unpack of one 200 MB attachment (random bytes behind a %PDF header) by
#    `vbdt envelope pack` / `unpack`, against coreutils `base64 -w0` / `base64 -d` of the same
#    file (the floor: any packer must at least Base64-encode it); three rounds, files in the page
#    cache, `sync` before each command; peak RSS of each (/usr/bin/time). vbdt makes its output
#    durable (fsync) before it renames it into place; base64 does not
#  - vbdt's peak RSS for attachments of 20, 200 and 1 000 MB (memory must not grow with size)
#  - `vbdt envelope validate` throughput on 1 000 envelopes (500 documents carrying the demo's
#    signed decision, whose PDF signatures are checked too, and 500 status messages)
# usage: bench/envelope.sh   (needs /usr/bin/time from package time; ~4 GB free on /var/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/envelope-$(date +%F).txt
scratch=$(mktemp -d /var/tmp/vbdt-envelope-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
go build -o "$scratch/vbdt" ./cmd/vbdt
vbdt=$scratch/vbdt
{
  echo "# bench/envelope.sh, $(date -u '+%F %T UTC')"
  echo "# $(uname -r), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "# $(go version), vbdt $(git rev-parse --short HEAD), $(base64 --version | head -1)"
} | tee "$out"

cat >"$scratch/vbdt.yaml" <<YAML
agency:
  name: "Ủy ban nhân dân tỉnh Thử Nghiệm (BENCH)"
  organ_id: "000.00.00.H99"
  abbreviation: "UBND"
  place: "Hà Nội"
YAML
export VBDT_CONFIG=$scratch/vbdt.yaml

# run LABEL MB CMD...: wall time and peak RSS of one command, as MB/s of the attachment
run() {
  local label=$1 mb=$2
  shift 2
  local a b rss
  sync # each command starts with no dirty pages of the one before to write back
  a=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$scratch/rss" "$@" >/dev/null 2>"$scratch/err" || { cat "$scratch/err"; exit 1; }
  b=$EPOCHREALTIME
  rss=$(tail -1 "$scratch/rss")
  awk -v l="$label" -v n="$mb" -v a="$a" -v b="$b" -v r="$rss" \
    'BEGIN { printf "%-40s %6d MB %8.3f s %8.1f MB/s  peak RSS %7.1f MB\n", l, n, b - a, n / (b - a), r / 1024 }' | tee -a "$out"
}
attachment() { # attachment FILE MB
  { printf '%%PDF-1.7\n'; head -c $(($2 * 1000000 - 9)) /dev/urandom; } >"$1"
}
cat >"$scratch/pack" <<SH
#!/bin/sh
exec "$vbdt" envelope pack --force --to 000.00.00.G22 --code 15/QĐ-UBND --date 2026-11-29 --subject "Bench" \
  --type-name "Quyết định" --signer "Nguyễn Văn A" "\$1" -o "\$2"
SH
chmod +x "$scratch/pack"
pack() { "$scratch/pack" "$@"; }

attachment "$scratch/doc.pdf" 200
pack "$scratch/doc.pdf" "$scratch/env.edxml"
base64 -w0 "$scratch/doc.pdf" >"$scratch/doc.b64"
cat "$scratch/doc.pdf" "$scratch/env.edxml" "$scratch/doc.b64" >/dev/null
echo "== one 200 MB attachment" | tee -a "$out"
for round in 1 2 3; do
  rm -f "$scratch/env.edxml" # a new file, as base64's (replacing a large file costs its unlink)
  run "vbdt envelope pack" 200 "$scratch/pack" "$scratch/doc.pdf" "$scratch/env.edxml"
  run "base64 -w0 (coreutils)" 200 sh -c "base64 -w0 '$scratch/doc.pdf' > '$scratch/enc.b64'"
  rm -rf "$scratch/u"
  run "vbdt envelope unpack" 200 "$vbdt" envelope unpack "$scratch/env.edxml" -d "$scratch/u"
  run "base64 -d (coreutils)" 200 sh -c "base64 -d '$scratch/doc.b64' > '$scratch/dec.bin'"
  rm -f "$scratch/enc.b64" "$scratch/dec.bin"
done
cmp "$scratch/u/doc.pdf" "$scratch/doc.pdf"
rm -f "$scratch/doc.b64"

echo "== vbdt's peak RSS by attachment size" | tee -a "$out"
for mb in 20 200 1000; do
  attachment "$scratch/doc.pdf" "$mb"
  run "vbdt envelope pack" "$mb" "$scratch/pack" "$scratch/doc.pdf" "$scratch/env.edxml"
  rm -rf "$scratch/u"
  run "vbdt envelope unpack" "$mb" "$vbdt" envelope unpack "$scratch/env.edxml" -d "$scratch/u"
  rm -rf "$scratch/u" "$scratch/env.edxml"
done
rm -f "$scratch/doc.pdf"

echo "== validate: 500 documents (the demo's signed decision, 169 KB) and 500 status messages" | tee -a "$out"
mkdir -p "$scratch/many"
"$vbdt" demo "$scratch/demo" >/dev/null 2>&1
pack "$scratch/demo/4-ban-hanh.pdf" "$scratch/many/doc-0.edxml"
"$vbdt" envelope status --for "$scratch/many/doc-0.edxml" --code 03 -o "$scratch/many/st-0.edxml"
for i in $(seq 1 499); do
  cp "$scratch/many/doc-0.edxml" "$scratch/many/doc-$i.edxml"
  cp "$scratch/many/st-0.edxml" "$scratch/many/st-$i.edxml"
done
for round in 1 2 3; do
  a=$EPOCHREALTIME
  "$vbdt" envelope validate "$scratch/many" >/dev/null 2>&1
  b=$EPOCHREALTIME
  awk -v a="$a" -v b="$b" 'BEGIN { printf "vbdt envelope validate, 1000 envelopes     %8.3f s %8.1f envelopes/s\n", b - a, 1000 / (b - a) }' | tee -a "$out"
done
echo "# raw output: $out" | tee -a "$out"
