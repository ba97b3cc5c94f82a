#!/usr/bin/env bash
# The one command that runs every check of vbdt, locally and in CI (.ci/run calls it).
# On a fresh Debian/Ubuntu machine, run as root, it installs what the tests need first;
# otherwise it prints the exact install line. In CI (CI set) nothing may be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin:$HOME/go/bin

# Debian packages the tests use: SoftHSM2 (the PKCS#11 token), OpenSC's pkcs11-tool (loads
# certificates onto it), openssl (OpenSSL 3 PKCS#12 files), gcc (cgo for PKCS#11), PostgreSQL
# (the shared register: tests start their own server), poppler-utils and qpdf (independent PDF
# checks), Liberation fonts (Vietnamese glyphs, Times New Roman metrics), e2fsprogs (chattr,
# for the read-only register test as root), Chromium (renders vbdt verify's HTML report
# headless), NSS tools (certutil, pk12util: pdfsig -add-signature as a second signer), libtiff
# tools (tiffcp: the G4 encoder against libtiff's), MuPDF tools (pixel checks of converted scans)
# Apache PDFBox Preflight (PDF/A-1b validation) and Tesseract with its Vietnamese data (the OCR
# stage of vbdt convert).
pkgs=()
command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs+=(postgresql)
command -v pdftotext >/dev/null || pkgs+=(poppler-utils)
command -v qpdf >/dev/null || pkgs+=(qpdf)
[ -e /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || pkgs+=(fonts-liberation2)
command -v chattr >/dev/null || pkgs+=(e2fsprogs)
command -v softhsm2-util >/dev/null || pkgs+=(softhsm2)
command -v pkcs11-tool >/dev/null || pkgs+=(opensc)
command -v openssl >/dev/null || pkgs+=(openssl)
command -v gcc >/dev/null || pkgs+=(gcc libc6-dev)
command -v git >/dev/null || pkgs+=(git)
command -v chromium >/dev/null || pkgs+=(chromium)
command -v certutil >/dev/null || pkgs+=(libnss3-tools)
command -v tiffcp >/dev/null || pkgs+=(libtiff-tools)
command -v mutool >/dev/null || pkgs+=(mupdf-tools)
command -v gs >/dev/null || pkgs+=(ghostscript)
command -v tesseract >/dev/null || pkgs+=(tesseract-ocr tesseract-ocr-vie)
[ -e /usr/bin/convert ] || pkgs+=(imagemagick) # the conversion matrix's CMYK and progressive JPEGs
command -v xmlsec1 >/dev/null || pkgs+=(xmlsec1) # an independent XML-DSig implementation for the envelope signature tests
[ -e /usr/share/java/preflight.jar ] || pkgs+=(libpdfbox2-java default-jre-headless libactivation-java libjaxb-api-java)
command -v go >/dev/null || pkgs+=(golang-go ca-certificates) # an older Go fetches go.mod's toolchain itself
if ((${#pkgs[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "test.sh: missing test parts; install them with:" >&2
    echo "  sudo apt-get install -y ${pkgs[*]}" >&2
    if [ -n "${CI:-}" ]; then exit 1; fi
  fi
fi
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
go version

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go mod tidy"
go mod tidy -diff

echo "== go vet (cgo and no cgo)"
go vet ./...
CGO_ENABLED=0 go vet ./...

echo "== build and key tests without cgo"
CGO_ENABLED=0 go build -o /dev/null ./cmd/vbdt
CGO_ENABLED=0 go test -count=1 ./internal/keys

# A count, not a duration: Go 1.26's coordinator can report a spurious
# "context deadline exceeded" when a -fuzztime duration ends mid-call
# (golang/go#75804, fixed in Go 1.27). A real crasher still fails the run.
echo "== fuzz smoke (${FUZZTIME:=50000x} each)"
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
    echo "-- $target ($(dirname "$file"))"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "./$(dirname "$file")" >/tmp/vbdt-fuzz.log 2>&1 ||
      { cat /tmp/vbdt-fuzz.log; exit 1; }
  done
done

echo "== tests"
log=$(mktemp)
if ! go test -count=1 -v ./... >"$log" 2>&1; then
  grep -E -B2 -A40 -- '--- FAIL|^FAIL|panic:' "$log" | head -400
  grep -E '^(ok|FAIL|\?)\s' "$log"
  exit 1
fi
skipped=$(grep -E -- '--- SKIP' "$log" || true)
if [ -n "$skipped" ]; then
  echo "skipped tests:"; grep -E -A2 -- '--- SKIP' "$log"
  if [ -n "${CI:-}" ]; then echo "CI must skip nothing"; exit 1; fi
fi
grep -E '^(ok|FAIL|\?)\s' "$log"
passed=$(grep -cE -- '^\s*--- PASS' "$log" || true)
echo "$passed passed, 0 failed"
