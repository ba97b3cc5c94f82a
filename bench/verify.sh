#!/usr/bin/env bash
# Verification throughput and the large-file case, in one run (issue 11):
#  - 1 000 signed documents — 800 one-page decisions signed once by the organization (RSA-2048)
#    and 200 issued through the Decree 30 flow (approver's certification DocMDP P=2, the
#    clerk's number from the register, the organization's seal: 4 revisions, 2 signatures) —
#    verified by `vbdt verify --offline --trust ROOT --json DIR` (one process, full analysis:
#    integrity, path to the trusted test root, revocation from what the file carries, every
#    change after each signature) and by poppler's pdfsig, one process per file (its NSS
#    database trusting the same root), three rounds each, alternating; files/s and the ratio
#  - a 200 MB signed PDF (200 pages, each a 1 MB image, as bench/sign.sh builds it): vbdt
#    verify's wall time and peak RSS (/usr/bin/time -v) beside one sha256sum and one pdfsig
# usage: bench/verify.sh   (needs poppler-utils, libnss3-tools, qpdf, fonts-liberation2 and
# /usr/bin/time from package time)
#
# Verifying only reads files, so the ext4 cost of creating files (see bench/sign.sh) does not
# enter the timed part; the documents are made in a folder of our own under /var/tmp and are
# in the page cache for both verifiers (each round reads the same 1 000 files).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/verify-$(date +%F).txt
work=$(mktemp -d /var/tmp/vbdt-bench-verify.XXXXXX)
trap 'rm -rf "$work"' EXIT
for tool in pdfsig certutil qpdf /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "verify.sh: $tool missing (apt-get install poppler-utils libnss3-tools qpdf time)" >&2; exit 1; }
done
{ uname -r; nproc; date -u; grep -m1 'model name' /proc/cpuinfo; go version; pdfsig -v 2>&1 | head -1
  echo "vbdt $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"; } > "$out"
cat "$out"

go build -o "$work/vbdt" ./cmd/vbdt
vbdt=$work/vbdt
"$vbdt" demo "$work/demo" >/dev/null 2>&1
pki=$work/demo/pki root=$work/demo/pki/root-rsa.crt.pem
export VBDT_PIN=1234 VBDT_DEMO_PIN=1234

# --- the document set
mkdir -p "$work/in1" "$work/in30" "$work/docs"
for i in $(seq 1 1000); do
  if [ "$i" -le 800 ]; then d=in1; else d=in30; fi
  cp "$work/demo/1-du-thao.pdf" "$work/$d/$(printf %04d "$i").pdf"
done
"$vbdt" -q sign --key "file:$pki/organization-rsa.p12" "$work/in1" --out "$work/docs" >/dev/null
"$vbdt" -q sign --key "file:$pki/approver-rsa.p12" --role approver --image "$work/demo/signature.png" \
  --seal "$work/demo/seal.png" "$work/in30" --out "$work/approved" >/dev/null
mkdir -p "$work/numbered"
for f in "$work"/approved/*.pdf; do
  "$vbdt" -q --config "$work/demo/vbdt.yaml" number stamp "$f" --type QĐ --signer "Nguyễn Văn Ấn (TEST)" \
    --subject "Về việc thử nghiệm hiệu năng kiểm tra chữ ký (TEST)" -o "$work/numbered/$(basename "$f")" >/dev/null
done
"$vbdt" -q --config "$work/demo/vbdt.yaml" sign --key "file:$pki/organization-rsa.p12" --role issuer \
  --seal "$work/demo/seal.png" "$work/numbered" --out "$work/docs" >/dev/null
rm -f "$work"/docs/.vbdt-sign-journal*
n=$(ls "$work"/docs/*.pdf | wc -l)
[ "$n" = 1000 ] || { echo "verify.sh: $n documents, want 1000" >&2; exit 1; }
bytes=$(cat "$work"/docs/*.pdf | wc -c)
echo "== 1 000 signed documents: 800 with one signature, 200 Decree 30 (2 signatures, 4 revisions); $((bytes / 1000)) KB in all" | tee -a "$out"
# every document must pass, for both verifiers (untimed)
"$vbdt" verify --offline --trust "$root" --json "$work/docs" | tail -1 | tee -a "$out"
mkdir "$work/nss"
certutil -N -d "sql:$work/nss" --empty-password
certutil -A -d "sql:$work/nss" -n vbdt-test-root -t "CT,C,C" -i "$root"
ok=0
for f in "$work"/docs/*.pdf; do
  s=$(pdfsig -nssdir "sql:$work/nss" "$f" 2>/dev/null || true)
  v=$(grep -c 'Signature is Valid' <<<"$s" || true) t=$(grep -c 'Certificate is Trusted' <<<"$s" || true)
  [ "$v" -ge 1 ] && [ "$v" = "$t" ] && ok=$((ok + 1))
done
echo "pdfsig: $ok of 1000 documents with every signature valid and its certificate trusted" | tee -a "$out"

# --- timed: three rounds, alternating. The load average shows whether something else shared
# the 2 cores (this machine is shared with other sessions' builds and tests).
for round in 1 2 3; do
  echo "load average before round $round: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
  a=$(date +%s.%N)
  "$vbdt" verify --offline --trust "$root" --json "$work/docs" >/dev/null
  b=$(date +%s.%N)
  for f in "$work"/docs/*.pdf; do pdfsig -nssdir "sql:$work/nss" "$f" >/dev/null 2>&1 || true; done
  c=$(date +%s.%N)
  awk -v r="$round" -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
    printf "round %d: vbdt verify (one process, 2 workers) %.2f s, %.0f files/s; pdfsig (a process per file) %.2f s, %.0f files/s; ratio %.1fx\n",
      r, b-a, 1000/(b-a), c-b, 1000/(c-b), (c-b)/(b-a) }' | tee -a "$out"
done
# diagnostic: the same 1 000 with the garbage collector running a quarter as often
a=$(date +%s.%N)
GOGC=400 "$vbdt" verify --offline --trust "$root" --json "$work/docs" >/dev/null
b=$(date +%s.%N)
awk -v a="$a" -v b="$b" 'BEGIN { printf "diagnostic, vbdt verify with GOGC=400: %.2f s, %.0f files/s\n", b-a, 1000/(b-a) }' | tee -a "$out"
# for reference: each kind of document alone, vbdt only
mkdir -p "$work/one" "$work/two"
for f in "$work"/in1/*.pdf; do ln "$work/docs/${f##*/}" "$work/one/"; done
for f in "$work"/in30/*.pdf; do ln "$work/docs/${f##*/}" "$work/two/"; done
for kind in one two; do
  k=$(ls "$work/$kind" | wc -l)
  a=$(date +%s.%N)
  "$vbdt" verify --offline --trust "$root" --json "$work/$kind" >/dev/null
  b=$(date +%s.%N)
  awk -v k="$k" -v kind="$kind" -v a="$a" -v b="$b" 'BEGIN { printf "vbdt verify, only the %d %s-signature documents: %.2f s, %.0f files/s\n", k, kind, b-a, k/(b-a) }' | tee -a "$out"
done

# --- a 200 MB PDF shaped like a scanned register, as bench/sign.sh builds it, signed by vbdt
python3 - "$work" <<'PY'
import os, re, sys
work = sys.argv[1]
base = open(os.path.join(work, "demo", "1-du-thao.pdf"), "rb").read()
sx = int(base.rsplit(b"startxref", 1)[1].split()[0])
root = re.findall(rb"/Root (\d+) 0 R", base)[-1]
pages = int(re.search(rb"\n%s 0 obj\s*<<.*?/Pages (\d+) 0 R" % root, base, re.S).group(1))
kids = re.search(rb"\n%d 0 obj\s*<<.*?/Kids\s*\[([^\]]*)\]" % pages, base, re.S).group(1).strip()
chunk = os.urandom(1 << 20)
first, n = 1000, 200
body, offs, new_kids = bytearray(), {}, []
def obj(num, head, stream=None):
    offs[num] = len(base) + len(body)
    body.extend(b"%d 0 obj\n%s\n" % (num, head))
    if stream is not None:
        body.extend(b"stream\n" + stream + b"\nendstream\n")
    body.extend(b"endobj\n")
for i in range(n):
    img, content, page = first + 3 * i, first + 3 * i + 1, first + 3 * i + 2
    obj(img, b"<< /Type /XObject /Subtype /Image /Width 1024 /Height 1024 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>" % len(chunk), chunk)
    draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    obj(content, b"<< /Length %d >>" % len(draw), draw)
    obj(page, b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (pages, img, content))
    new_kids.append(b"%d 0 R" % page)
obj(pages, b"<< /Type /Pages /Kids [%s %s] /Count %d >>" % (kids, b" ".join(new_kids), n + 1))
xref = bytearray(b"xref\n")
for num in sorted(offs):
    xref.extend(b"%d 1\n%010d 00000 n\r\n" % (num, offs[num]))
xref_at = len(base) + len(body)
with open(os.path.join(work, "big.pdf"), "wb") as f:
    f.write(base); f.write(body); f.write(xref)
    f.write(b"trailer\n<< /Size %d /Root %s 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (first + 3 * n, root, sx, xref_at))
PY
qpdf --check "$work/big.pdf" >/dev/null
"$vbdt" -q sign --key "file:$pki/organization-rsa.p12" "$work/big.pdf" -o "$work/big-signed.pdf"
rm -f "$work/big.pdf"
size=$(stat -c %s "$work/big-signed.pdf")
echo "== $((size / 1000000)) MB signed PDF (200 pages, each a 1 MB image); file in the page cache" | tee -a "$out"
cat "$work/big-signed.pdf" >/dev/null
# three runs each; the first line of each is what /usr/bin/time -v says
for i in 1 2 3; do
  /usr/bin/time -v sha256sum "$work/big-signed.pdf" 2>"$work/t" >/dev/null
  awk -F': ' '/Elapsed \(wall clock\)/ {w=$2} /Maximum resident set size/ {m=$2} END {printf "sha256sum: wall %s, peak RSS %d KB\n", w, m}' "$work/t" | tee -a "$out"
  /usr/bin/time -v "$vbdt" verify --offline --trust "$root" --json "$work/big-signed.pdf" 2>"$work/t" >"$work/big.json"
  grep -q '"indication":"TOTAL_PASSED"' "$work/big.json" || { echo "verify.sh: the 200 MB PDF did not pass" >&2; cat "$work/big.json" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {w=$2} /Maximum resident set size/ {m=$2} /User time/ {u=$2} /System time/ {s=$2} END {
    printf "vbdt verify: wall %s (user %s s, system %s s), peak RSS %d KB = %.1f MB; TOTAL_PASSED\n", w, u, s, m, m/1024}' "$work/t" | tee -a "$out"
done
/usr/bin/time -v pdfsig -nssdir "sql:$work/nss" "$work/big-signed.pdf" 2>"$work/t" >"$work/big.txt" || true
grep -q 'Signature is Valid' "$work/big.txt" || echo "(pdfsig does not call it valid)" | tee -a "$out"
awk -F': ' '/Elapsed \(wall clock\)/ {w=$2} /Maximum resident set size/ {m=$2} END {printf "pdfsig (reference): wall %s, peak RSS %d KB\n", w, m}' "$work/t" | tee -a "$out"
