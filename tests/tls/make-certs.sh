#!/bin/sh
# Makes the throwaway certificates of the TLS tests in DIR, with openssl:
#
#   ca.crt                     test CA
#   server.crt server.key      signed by it, for 127.0.0.1, ::1, localhost
#   client.crt client.key      signed by it, for TLS client authentication
#   other-ca.crt               another CA
#   other.crt other.key        a client certificate signed by the other CA
#
# EC P-256 keys, valid for two days. Usage: make-certs.sh DIR
set -eu
dir=${1:?usage: make-certs.sh DIR}
cd "$dir"

ca() {  # name subject
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.crt" -days 2 -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

leaf() {  # name subject ca extensions
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" \
    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
    -days 2 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "sockwatch test CA"
ca other-ca "other test CA"
leaf server 127.0.0.1 ca \
  "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
extendedKeyUsage=serverAuth"
leaf client client ca "extendedKeyUsage=clientAuth"
leaf other other other-ca "extendedKeyUsage=clientAuth"
