#!/usr/bin/env bash
# Signing throughput and the large-file case, in one run:
#  - BenchmarkBatch: 1 000 one-page PDFs, software RSA-2048 and ECDSA P-256 keys, 2 workers
#  - BenchmarkBatchSoftHSM: the same batch on a SoftHSM2 key, next to the token's raw rate (and
#    its rate while the other core is busy; again with the files on tmpfs)
#  - a 200 MB PDF of 200 image pages: vbdt sign's wall time and peak RSS beside one sha256sum
# usage: bench/sign.sh   (needs softhsm2, opensc, fonts-liberation2; /usr/bin/time from package time)
#
# File creation is the machine's most variable cost: on ext4 without a journal (this VM), a new
# inode is not taken from those freed in the last minute, and each such inode is looked at in
# turn (fs/ext4/ialloc.c, recently_deleted), so creating a file right after many deletions in the
# same place costs several times more (for up to 6 minutes when the freed inodes' blocks are not
# yet written back). /tmp is where every build and test suite creates and deletes its files, so
# the benchmarks work in a folder of their own on the same disk, wait until creating a file there
# is cheap, run the SoftHSM batch before anything there is deleted, and wait 90 s after each
# benchmark's clean-up.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/sign-$(date +%F).txt
bin=$(mktemp -d)
scratch=$(mktemp -d /var/tmp/vbdt-bench.XXXXXX)
trap 'rm -rf "$bin" "$scratch"' EXIT
go test -c -o "$bin/sign.test" ./sign
bench() { (cd sign && TMPDIR=${TMPDIR_BENCH:-$scratch} "$bin/sign.test" -test.run='^$' -test.bench="$1" -test.benchtime="$2") | grep '^Benchmark' | tee -a "$out"; }
# the cost of creating a file (temporary name, 20 KB, rename) here, now and right after deletions
create_cost() {
  python3 - "$1" "$2" <<'PY' | tee -a "$out"
import os, sys, time
d, label = sys.argv[1], sys.argv[2]
os.makedirs(d, exist_ok=True)
data = b"0" * 20000
t = time.perf_counter(); c = time.process_time()
for i in range(1000):
    p = os.path.join(d, "%04d" % i)
    with open(p + ".tmp", "wb") as f:
        f.write(data)
    os.rename(p + ".tmp", p)
print("creating a file in %s (%s): %.3f ms wall, %.3f ms CPU" % (d, label, (time.perf_counter() - t), (time.process_time() - c)))
PY
}
{ uname -r; nproc; date -u; } > "$out"
# wait (up to 8 minutes) until creating a file costs what it does on a quiet disk: under 0.15 ms
for i in 1 2 3 4 5 6 7 8 9; do
  create_cost "$scratch/c$i" "probe $i"
  tail -1 "$out" | awk '{ exit !($(NF-5) < 0.15) }' && break
  rm -rf "$scratch/c$i"
  if [ "$i" -lt 9 ]; then sleep 60; fi
done
echo "== SoftHSM2 batch: 5 batches of 1 000 documents, the token's rate measured before and after each" | tee -a "$out"
bench 'BatchSoftHSM$' 5x
rm -rf "$scratch"/c?
create_cost "$scratch/d" "just after deleting the benchmark's files and the probes'"
sleep 90
echo "== software keys (90 s after the last deletion)" | tee -a "$out"
bench 'Batch$/rsa' 3x
sleep 90
bench 'Batch$/ecdsa' 3x
# diagnostic: the SoftHSM batch again with its files on tmpfs, where creating a file is cheap
if [ -d /dev/shm ]; then
  echo "== SoftHSM batch with its files on tmpfs (/dev/shm)" | tee -a "$out"
  TMPDIR_BENCH=/dev/shm bench 'BatchSoftHSM$' 5x
fi

work=$(mktemp -d)
trap 'rm -rf "$bin" "$scratch" "$work"' EXIT
go build -o "$work/vbdt" ./cmd/vbdt
"$work/vbdt" demo "$work/demo" >/dev/null 2>&1
# a 200 MB PDF shaped like a scanned register: the demo's draft plus 200 pages, each a 1 MB
# 1024×1024 grey image (random bytes), appended as an increment
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
echo "== 200 MB PDF" | tee -a "$out"
/usr/bin/time -f "sha256sum: %e s, peak RSS %M KiB" sha256sum "$work/big.pdf" >/dev/null 2>>"$out.tmp" || true
VBDT_PIN=1234 /usr/bin/time -f "vbdt sign: %e s, peak RSS %M KiB" "$work/vbdt" -q sign --key "file:$work/demo/pki/organization-rsa.p12" "$work/big.pdf" -o "$work/big-signed.pdf" 2>>"$out.tmp"
cat "$out.tmp" | tee -a "$out"
rm -f "$out.tmp"

# Side by side with a peer: poppler's pdfsig signs one document per process (adbe.pkcs7.detached,
# NSS database). The same 100 documents, the same RSA-2048 key, in one run.
if command -v pk12util >/dev/null && command -v certutil >/dev/null; then
  mkdir -p "$work/peer/in" "$work/peer/vbdt" "$work/peer/pdfsig" "$work/peer/nss"
  for i in $(seq -w 1 100); do cp "$work/demo/1-du-thao.pdf" "$work/peer/in/$i.pdf"; done
  certutil -N -d "sql:$work/peer/nss" --empty-password
  pk12util -i "$work/demo/pki/organization-rsa.p12" -d "sql:$work/peer/nss" -W 1234 -K "" >/dev/null
  nick=$(certutil -L -d "sql:$work/peer/nss" | awk '/u,u,u$/ {sub(/ +u,u,u$/, ""); print}')
  start=$(date +%s.%N)
  VBDT_PIN=1234 "$work/vbdt" -q sign --key "file:$work/demo/pki/organization-rsa.p12" "$work/peer/in" --out "$work/peer/vbdt" >/dev/null
  mid=$(date +%s.%N)
  for f in "$work"/peer/in/*.pdf; do
    pdfsig -add-signature -nssdir "sql:$work/peer/nss" -nick "$nick" "$f" "$work/peer/pdfsig/$(basename "$f")" >/dev/null 2>&1
  done
  end=$(date +%s.%N)
  echo "== 100 one-page PDFs, RSA-2048, one run" | tee -a "$out"
  awk -v a="$start" -v b="$mid" -v c="$end" 'BEGIN {
    printf "vbdt sign (one process, batch): %.2f s, %.0f docs/s\n", b-a, 100/(b-a);
    printf "pdfsig -add-signature (a process per file): %.2f s, %.0f docs/s\n", c-b, 100/(c-b) }' | tee -a "$out"
else
  echo "pk12util/certutil missing (apt-get install libnss3-tools): no side-by-side run" | tee -a "$out"
fi
