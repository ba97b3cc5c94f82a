#!/usr/bin/env bash
# Signing throughput and the large-file case, in one run:
#  - BenchmarkBatch: 1 000 one-page PDFs, software RSA-2048 and ECDSA P-256 keys, 2 workers
#  - BenchmarkBatchSoftHSM: the same batch on a SoftHSM2 key, next to the token's raw rate
#  - a 200 MB PDF: vbdt sign's wall time and peak RSS beside one sha256sum of the file
# usage: bench/sign.sh   (needs softhsm2, opensc, fonts-liberation2; /usr/bin/time from package time)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/sign-$(date +%F).txt
go test ./sign -run='^$' -bench=Batch -benchtime=1x -count=3 | tee "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/vbdt" ./cmd/vbdt
"$work/vbdt" demo "$work/demo" >/dev/null 2>&1
# a 200 MB PDF: the demo's draft plus a 200 MB embedded stream, appended as an increment
python3 - "$work" <<'PY'
import os, sys
work = sys.argv[1]
base = open(os.path.join(work, "demo", "1-du-thao.pdf"), "rb").read()
sx = int(base.rsplit(b"startxref", 1)[1].split()[0])
size = 200 << 20
num = 1000
off = len(base) + 1
obj = b"\n%d 0 obj\n<< /Length %d >>\nstream\n" % (num, size)
tail = b"\nendstream\nendobj\n"
xref_at = off + len(obj) - 1 + size + len(tail)
import re
root = re.findall(rb"/Root (\d+ \d+ R)", base)[-1]
with open(os.path.join(work, "big.pdf"), "wb") as f:
    f.write(base); f.write(obj)
    chunk = os.urandom(1 << 20)
    for _ in range(200): f.write(chunk)
    f.write(tail)
    f.write(b"xref\n%d 1\n%010d 00000 n\r\ntrailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (num, off, num + 1, root, sx, xref_at))
PY
echo "== 200 MB PDF" | tee -a "$out"
/usr/bin/time -f "sha256sum: %e s, peak RSS %M KiB" sha256sum "$work/big.pdf" >/dev/null 2>>"$out.tmp" || true
VBDT_PIN=1234 /usr/bin/time -f "vbdt sign: %e s, peak RSS %M KiB" "$work/vbdt" -q sign --key "file:$work/demo/pki/organization-rsa.p12" "$work/big.pdf" -o "$work/big-signed.pdf" 2>>"$out.tmp"
cat "$out.tmp" | tee -a "$out"
rm -f "$out.tmp"
