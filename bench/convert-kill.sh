#!/usr/bin/env bash
# Killing a 20 000-page conversion and restarting it ends with the manifest of a run that was
# never interrupted (issue #12): 20 000 one-page documents (small colour JPEG scans, 200 dpi) are
# converted once straight through, and once killed with SIGKILL at several points and resumed
# each time; the two manifests must be byte for byte the same, and no temporary file may remain.
# usage: bench/convert-kill.sh [PAGES]   (default 20000; needs imagemagick; writes
# bench/convert-kill-DATE.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-20000}
out=bench/convert-kill-$(date +%F).txt
scratch=$(mktemp -d /var/tmp/vbdt-kill.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
go build -o "$scratch/vbdt" ./cmd/vbdt
vbdt=$scratch/vbdt
{ echo "# bench/convert-kill.sh, $(date -u '+%F %T UTC'), $pages documents"; uname -r; nproc; } | tee "$out"
# the scans: one small colour page (ImageMagick), copied into files of 800 documents (the
# content is not what is tested)
convert -size 400x560 plasma:red-blue -density 200 -units PixelsPerInch -quality 80 "$scratch/page.jpg"
folders=()
for i in $(seq 0 $((pages - 1))); do
  f=$scratch/in/H99.2026.$(printf %04d $((i / 800)))
  if [ $((i % 800)) = 0 ]; then mkdir -p "$f"; folders+=("$f"); fi
  cp "$scratch/page.jpg" "$f/$(printf %03d $((i % 800 + 1))).jpg"
done
start=$(date +%s.%N)
"$vbdt" convert "${folders[@]}" --out "$scratch/ref" -q >/dev/null
echo "uninterrupted: $(echo "$(date +%s.%N) - $start" | bc) s" | tee -a "$out"
kills=0
for delay in 2 5 9; do
  "$vbdt" convert "${folders[@]}" --out "$scratch/run" -q >/dev/null & pid=$!
  sleep "$delay"
  if kill -KILL "$pid" 2>/dev/null; then kills=$((kills+1)); fi
  wait "$pid" || true
  echo "killed after ${delay}s: $(ls "$scratch/run" | grep -c '\.pdf$') documents on disk" | tee -a "$out"
done
"$vbdt" convert "${folders[@]}" --out "$scratch/run" -q >/dev/null
echo "kills: $kills; resumed to the end" | tee -a "$out"
cmp "$scratch/run/manifest.csv" "$scratch/ref/manifest.csv" && cmp "$scratch/run/manifest.json" "$scratch/ref/manifest.json" &&
  echo "manifest.csv and manifest.json: identical to the uninterrupted run's" | tee -a "$out"
left=$(find "$scratch/run" -name '.*.tmp*' | wc -l)
echo "temporary files left: $left" | tee -a "$out"
[ "$left" = 0 ]
