#!/usr/bin/env bash
# Makes a throw-away PKI for the end-to-end tests and the demo, with the openssl CLI only.
# Usage: make-pki.sh OUTDIR
#
# OUTDIR/
#   ca.pem ca.key              the agents' CA; also signs the gateway's and rsyslog's server certs
#   gateway.pem gateway.key    server cert: DNS:localhost, DNS:portcullis (compose), IP:127.0.0.1
#   alpha.pem alpha.key        agent client cert, URI SAN spiffe://example.org/agent/alpha
#   beta.pem beta.key          agent client cert, URI SAN spiffe://example.org/agent/beta
#   cn-only.pem cn-only.key    agent client cert without a URI SAN (identity = CN "cn-only-agent")
#   expired.pem expired.key    alpha's identity, signed by ca, valid only in January 2020
#   rogue-ca.pem rogue-ca.key  another CA nobody trusts
#   rogue.pem rogue.key        alpha's identity, signed by rogue-ca
#   ops-ca.pem ops-ca.key      the operators' CA (admin port client_ca)
#   ops.pem ops.key            operator cert, URI SAN spiffe://example.org/ops/oncall
#   rsyslog.pem rsyslog.key    rsyslog server cert (DNS:localhost, DNS:rsyslog, IP:127.0.0.1), by ca
#   siem-client.pem .key       client cert the gateway presents to rsyslog, signed by ca
# Keys are EC P-256 (fast to make); everything is valid for 2 days except expired.pem.
set -euo pipefail

out="${1:?usage: make-pki.sh OUTDIR}"
mkdir -p "$out"
cd "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

# make_ca NAME CN
make_ca() {
  newkey "$1.key"
  openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 2 -subj "/O=Portcullis test/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
}

# make_leaf NAME ISSUER SUBJECT_CN SAN(or "") EKU
make_leaf() {
  local name="$1" issuer="$2" cn="$3" san="$4" eku="$5"
  newkey "$name.key"
  openssl req -new -key "$name.key" -out "$work/$name.csr" -subj "/O=Portcullis test/CN=$cn" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    if [ -n "$san" ]; then echo "subjectAltName=$san"; fi
  } >"$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
    -CAcreateserial -CAserial "$work/$issuer.srl" -days 2 -extfile "$work/$name.ext" \
    -out "$name.pem" 2>/dev/null
}

make_ca ca "Portcullis test agents CA"
make_ca rogue-ca "Rogue CA"
make_ca ops-ca "Portcullis test operators CA"

make_leaf gateway ca "portcullis-gateway" "DNS:localhost,DNS:portcullis,IP:127.0.0.1" "serverAuth"
make_leaf rsyslog ca "rsyslog" "DNS:localhost,DNS:rsyslog,IP:127.0.0.1" "serverAuth"
make_leaf siem-client ca "portcullis-siem-client" "URI:spiffe://example.org/portcullis/siem" "clientAuth"
make_leaf alpha ca "alpha" "URI:spiffe://example.org/agent/alpha" "clientAuth"
make_leaf beta ca "beta" "URI:spiffe://example.org/agent/beta" "clientAuth"
make_leaf cn-only ca "cn-only-agent" "" "clientAuth"
make_leaf rogue rogue-ca "alpha" "URI:spiffe://example.org/agent/alpha" "clientAuth"
make_leaf ops ops-ca "oncall" "URI:spiffe://example.org/ops/oncall" "clientAuth"

# The expired certificate: `openssl x509 -req` (3.0) cannot backdate, `openssl ca` can.
newkey expired.key
openssl req -new -key expired.key -out "$work/expired.csr" -subj "/O=Portcullis test/CN=alpha" 2>/dev/null
mkdir -p "$work/ca-db"
: >"$work/ca-db/index.txt"
echo 1000 >"$work/ca-db/serial"
cat >"$work/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $work/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[ anything ]
commonName = supplied
organizationName = optional
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = URI:spiffe://example.org/agent/alpha
EOF
openssl ca -batch -config "$work/ca.cnf" -cert ca.pem -keyfile ca.key -in "$work/expired.csr" \
  -out "$work/expired.full" -startdate 20200101000000Z -enddate 20200131000000Z -notext 2>/dev/null
openssl x509 -in "$work/expired.full" -out expired.pem

# Sanity: every leaf verifies against its issuer (expired.pem must fail on time only).
for leaf in gateway rsyslog siem-client alpha beta cn-only; do
  openssl verify -CAfile ca.pem "$leaf.pem" >/dev/null
done
openssl verify -CAfile rogue-ca.pem rogue.pem >/dev/null
openssl verify -CAfile ops-ca.pem ops.pem >/dev/null
if openssl verify -CAfile ca.pem expired.pem >/dev/null 2>&1; then
  echo "make-pki: expired.pem unexpectedly verifies" >&2
  exit 1
fi
openssl verify -CAfile ca.pem -no_check_time expired.pem >/dev/null
rm -f ./*.srl
echo "make-pki: wrote $(ls | wc -l) files to $(pwd)"
