#!/usr/bin/env bash
# Conversion throughput and memory (#12), in one run, side by side on the same page sets:
#  - 200 colour JPEG pages (A4, 300 dpi, ~1.1 MB each), 200 one-strip G4 TIFF pages and 200
#    17-strip G4 TIFF pages (~75 KB each), one distinct page per file, written by
#    convert/bench_test.go's BenchmarkWriteBenchScans
#  - `vbdt convert` (go build) making ONE 200-page document (a manifest row listing the 200
#    files) and 200 one-page documents (the folder: each file a document), against Debian's
#    img2pdf making one 200-page PDF, and img2pdf followed by sync (its output made durable, as
#    vbdt's is); three rounds, alternating, files in the page cache
#  - vbdt's peak RSS (/usr/bin/time -v) for one document of 200, 2 000 and 20 000 pages (a
#    manifest listing the same page that many times)
# usage: bench/convert.sh   (SETS="jpeg" for some sets only, RSS=0 to leave out the memory part;
#        needs img2pdf, and /usr/bin/time from package time; ~40 GB free
# on /var/tmp for the 20 000-page JPEG document, deleted at once)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/convert-$(date +%F).txt} # OUT names another file (a second run the same day)
scratch=$(mktemp -d /var/tmp/vbdt-convert-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
go build -o "$scratch/vbdt" ./cmd/vbdt
vbdt=$scratch/vbdt
{
  echo "# bench/convert.sh, $(date -u '+%F %T UTC')"
  echo "# $(uname -r), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "# $(go version), vbdt $(git rev-parse --short HEAD)$(git diff --quiet || echo +changes), img2pdf $(img2pdf --version | awk '{print $2}')"
} | tee "$out"

pages=${PAGES:-200}
scans=$scratch/scans
t0=$EPOCHREALTIME
VBDT_BENCH_SCANS=$scans VBDT_BENCH_PAGES=$pages go test -count=1 -run '^$' -bench '^BenchmarkWriteBenchScans$' -benchtime 1x ./convert >/dev/null
echo "# page sets written in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s: $(du -sh "$scans/jpeg" | cut -f1) JPEG, $(du -sh "$scans/g4" | cut -f1) G4 one strip, $(du -sh "$scans/g4s17" | cut -f1) G4 17 strips" | tee -a "$out"

# run LABEL N CMD...: wall time (to the microsecond) and peak RSS of one command; prints a row
run() {
  local label=$1 n=$2
  shift 2
  local a b rss
  sync # no dirty pages of the command before: vbdt's closing syncfs would write them back too
  a=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$scratch/rss" "$@" >/dev/null 2>"$scratch/err" || { cat "$scratch/err"; exit 1; }
  b=$EPOCHREALTIME
  rss=$(tail -1 "$scratch/rss")
  awk -v l="$label" -v n="$n" -v a="$a" -v b="$b" -v r="$rss" \
    'BEGIN { printf "%-44s %6d pages %8.3f s %8.1f pages/s  peak RSS %6.1f MB\n", l, n, b - a, n / (b - a), r / 1024 }' | tee -a "$out"
}
# manifest FILE N PATH...: one document of the paths, repeated until there are N pages
manifest() {
  local file=$1 n=$2
  shift 2
  python3 - "$file" "$n" "$@" <<'PY'
import sys
file, n, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
images = [paths[i % len(paths)] for i in range(n)]
with open(file, "w") as f:
    f.write("FileCode,DocOrdinal,Images\n")
    f.write('BENCH.2026.01,1,"%s"\n' % ";".join(images))
PY
}

for set in ${SETS:-jpeg g4 g4s17}; do
  files=("$scans/$set"/*)
  manifest "$scratch/$set.csv" "${#files[@]}" "${files[@]}"
  cat "${files[@]}" >/dev/null # into the page cache
  echo "== $set: ${#files[@]} files" | tee -a "$out"
  for round in 1 2 3; do
    rm -rf "$scratch/out"
    run "vbdt convert, one ${#files[@]}-page document" "${#files[@]}" "$vbdt" convert --manifest "$scratch/$set.csv" --out "$scratch/out"
    rm -rf "$scratch/out"
    run "vbdt convert, ${#files[@]} one-page documents" "${#files[@]}" "$vbdt" convert "$scans/$set" --out "$scratch/out"
    rm -rf "$scratch/out" "$scratch/img2pdf.pdf"
    run "img2pdf, one ${#files[@]}-page PDF" "${#files[@]}" img2pdf -o "$scratch/img2pdf.pdf" "${files[@]}"
    rm -f "$scratch/img2pdf.pdf"
    # the same made durable, as vbdt makes its output (it syncs before it reports done)
    run "img2pdf then sync" "${#files[@]}" sh -c 'img2pdf -o "$0" "$@" && sync' "$scratch/img2pdf.pdf" "${files[@]}"
  done
  rm -rf "$scratch/out" "$scratch/img2pdf.pdf"
done

[ "${RSS:-1}" = 0 ] && { echo "# raw output: $out"; exit 0; }
echo "== vbdt's peak RSS by document size (the same page repeated; one document)" | tee -a "$out"
for set in ${SETS:-jpeg g4 g4s17}; do
  first=("$scans/$set"/*)
  for n in 200 2000 20000; do
    manifest "$scratch/rss.csv" "$n" "${first[0]}"
    rm -rf "$scratch/out"
    run "vbdt convert, $set" "$n" "$vbdt" convert --manifest "$scratch/rss.csv" --out "$scratch/out"
    rm -rf "$scratch/out"
  done
done
echo "# raw output: $out"
