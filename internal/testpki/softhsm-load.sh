#!/usr/bin/env bash
# Loads the vbdt test PKI (written by `vbdt demo` or internal/testpki) into a new SoftHSM2
# token. TEST KEYS ONLY: never load real keys with this script.
#
# usage: softhsm-load.sh TOKEN_DIR PKI_DIR [LABEL]
#   TOKEN_DIR  gets softhsm2.conf and tokens/; use it with SOFTHSM2_CONF=TOKEN_DIR/softhsm2.conf
#   PKI_DIR    holds <role>-<alg>.key.pem and .crt.pem files
# environment: VBDT_TEST_PIN (1234), VBDT_TEST_SO_PIN (5678), VBDT_SOFTHSM_MODULE (probed)
set -euo pipefail

tokdir=${1:?usage: softhsm-load.sh TOKEN_DIR PKI_DIR [LABEL]}
pki=${2:?usage: softhsm-load.sh TOKEN_DIR PKI_DIR [LABEL]}
label=${3:-vbdt-test}
pin=${VBDT_TEST_PIN:-1234}
sopin=${VBDT_TEST_SO_PIN:-5678}
module=${VBDT_SOFTHSM_MODULE:-}
if [ -z "$module" ]; then
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
           /usr/local/lib/softhsm/libsofthsm2.so /usr/lib64/pkcs11/libsofthsm2.so; do
    if [ -e "$m" ]; then module=$m; break; fi
  done
fi
for tool in softhsm2-util pkcs11-tool openssl; do
  command -v "$tool" >/dev/null || { echo "softhsm-load.sh: $tool not found (apt-get install softhsm2 opensc openssl)" >&2; exit 1; }
done
[ -n "$module" ] || { echo "softhsm-load.sh: libsofthsm2.so not found; set VBDT_SOFTHSM_MODULE" >&2; exit 1; }

tokdir=$(mkdir -p "$tokdir" && cd "$tokdir" && pwd)
mkdir -p "$tokdir/tokens"
cat >"$tokdir/softhsm2.conf" <<CONF
directories.tokendir = $tokdir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF=$tokdir/softhsm2.conf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

softhsm2-util --init-token --free --label "$label" --so-pin "$sopin" --pin "$pin" >/dev/null

p11() { pkcs11-tool --module "$module" --token-label "$label" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }; }

id=1
for alg in rsa ecdsa; do
  for role in approver organization; do
    hexid=$(printf '%02x' "$id")
    softhsm2-util --import "$pki/$role-$alg.key.pem" --token "$label" --pin "$pin" \
      --id "$hexid" --label "$role-$alg" >/dev/null
    # the first certificate of the .crt.pem is the signer's own
    openssl x509 -in "$pki/$role-$alg.crt.pem" -outform DER -out "$tmp/cert.der"
    p11 --login --pin "$pin" --write-object "$tmp/cert.der" --type cert --id "$hexid" --label "$role-$alg"
    id=$((id + 1))
  done
  for ca in intermediate root; do
    openssl x509 -in "$pki/$ca-$alg.crt.pem" -outform DER -out "$tmp/cert.der"
    p11 --login --pin "$pin" --write-object "$tmp/cert.der" --type cert --id "$(printf 'ca%02x' "$id")" --label "$ca-$alg"
    id=$((id + 1))
  done
done
echo "$SOFTHSM2_CONF"
