#!/bin/sh
# Make the throw-away PKI of the TLS tests in directory $1 (created): a test CA, a server
# certificate it signs for 127.0.0.1 / ::1 / localhost, and one it signs for another host name.
# Keys are P-256, made at build time (never committed), valid for ten years so that a reused build
# directory keeps working.
set -eu
out=$1
openssl=${OPENSSL:-openssl}
mkdir -p "$out"
cd "$out"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

# shellcheck disable=SC2086
"$openssl" req -x509 $ec -keyout ca.key -out ca.pem -days 3650 -subj "/CN=libmodellix test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

sign() { # name, subjectAltName
    # shellcheck disable=SC2086
    "$openssl" req $ec -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "$2" >"$1.ext"
    "$openssl" x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
        -days 3650 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
sign server "IP:127.0.0.1,IP:::1,DNS:localhost"
sign wrong-host "DNS:wrong-host.invalid"
rm -f ca.key
