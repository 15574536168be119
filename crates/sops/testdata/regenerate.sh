#!/usr/bin/env bash
# Recreates every fixture in this folder with the real tools: sops v3.11.0 (from
# scripts/oracles.sh), age-keygen and gpg. Keys are regenerated too, so all ciphertext changes.
# Plaintext inputs (<case>/plain.*) are kept. Usage: bash regenerate.sh [--keep-keys]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
BIN=$(bash ../../../scripts/oracles.sh)
SOPS="$BIN/sops"
"$SOPS" --version --disable-version-check | head -n1 | grep -q '3.11.0'

export GNUPGHOME=$(mktemp -d)
WORK=$(mktemp -d)
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME" "$WORK"' EXIT
# sops must not pick up a .sops.yaml from a parent folder.
cd "$WORK"

if [ "${1:-}" != "--keep-keys" ]; then
  rm -f "$HERE"/keys/*
  for k in age1 age2 age-unrelated; do age-keygen -o "$HERE/keys/$k.agekey" 2>/dev/null; done
  # One Flux secret entry may hold several identities, with comments.
  cat "$HERE/keys/age1.agekey" "$HERE/keys/age2.agekey" > "$HERE/keys/age-both.agekey"
  gpg_key() { # name uid primary-algo encryption-algo
    gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "$2" "$3" cert never 2>/dev/null
    local fpr
    fpr=$(gpg --list-keys --with-colons "$2" | awk -F: '/^fpr/ {print $10; exit}')
    gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$fpr" "$4" encr never 2>/dev/null
    gpg --batch --pinentry-mode loopback --passphrase '' --armor --export-secret-keys "$fpr" > "$HERE/keys/$1.asc"
    echo "$fpr" > "$HERE/keys/$1.fpr"
  }
  gpg_key pgp-rsa 'Capstan Test RSA <rsa@capstan.invalid>' rsa3072 rsa3072
  gpg_key pgp-ecc 'Capstan Test ECC <ecc@capstan.invalid>' ed25519 cv25519
  gpg_key pgp-unrelated 'Capstan Unrelated <unrelated@capstan.invalid>' ed25519 cv25519
else
  for k in pgp-rsa pgp-ecc pgp-unrelated; do
    gpg --batch --pinentry-mode loopback --passphrase '' --import "$HERE/keys/$k.asc" 2>/dev/null
  done
fi

pub() { age-keygen -y "$HERE/keys/$1.agekey"; }
AGE1=$(pub age1); AGE2=$(pub age2)
RSA=$(cat "$HERE/keys/pgp-rsa.fpr"); ECC=$(cat "$HERE/keys/pgp-ecc.fpr")
export SOPS_AGE_KEY_FILE="$HERE/keys/age-both.agekey"

# case, input type, the sops flags after `encrypt`, then the key sets that can decrypt it
# (';' between sets, ' ' between the keys of one set). $CONFIG, when set, is a creation-rules
# file and $RULES its description for the `command` file.
gen() {
  local case=$1 type=$2 flags=$3 keys=$4 plain ext global=() described
  plain=$(ls "$HERE/$case"/plain.*)
  ext=${plain##*.}
  described="sops encrypt --input-type $type --output-type $type $flags plain.$ext > encrypted.$ext"
  if [ -n "${CONFIG:-}" ]; then
    global=(--config "$CONFIG")
    described="sops --config .sops.yaml encrypt --input-type $type --output-type $type plain.$ext > encrypted.$ext
# .sops.yaml: $RULES"
  fi
  printf '%s\n' "$described" \
    | sed "s/$AGE1/\$AGE1/g; s/$AGE2/\$AGE2/g; s/$RSA/\$PGP_RSA/g; s/$ECC/\$PGP_ECC/g" > "$HERE/$case/command"
  # shellcheck disable=SC2086
  "$SOPS" "${global[@]}" encrypt --input-type "$type" --output-type "$type" $flags "$plain" > "$HERE/$case/encrypted.$ext"
  "$SOPS" decrypt --input-type "$type" --output-type "$type" "$HERE/$case/encrypted.$ext" > "$HERE/$case/expected.$ext"
  printf '%s\n' "$keys" | tr ';' '\n' > "$HERE/$case/keys"
}

gen yaml-age yaml "--age $AGE1" "age1.agekey;age-both.agekey"
gen yaml-pgp-rsa yaml "--pgp $RSA" "pgp-rsa.asc"
gen yaml-pgp-ecc yaml "--pgp $ECC" "pgp-ecc.asc"
gen yaml-mixed yaml "--age $AGE1,$AGE2 --pgp $RSA,$ECC" "age1.agekey;age2.agekey;pgp-rsa.asc;pgp-ecc.asc"
gen yaml-flux-secret yaml "--age $AGE1 --encrypted-regex ^(data|stringData)$" "age1.agekey"
gen yaml-unencrypted-suffix yaml "--age $AGE1 --unencrypted-suffix _plain" "age1.agekey"
gen yaml-encrypted-suffix yaml "--age $AGE1 --encrypted-suffix _secret" "age1.agekey"
gen yaml-unencrypted-regex yaml "--age $AGE1 --unencrypted-regex ^(apiVersion|kind|metadata)$" "age1.agekey"
gen yaml-multidoc yaml "--age $AGE1" "age1.agekey"
gen json-age json "--age $AGE1" "age1.agekey"
gen json-flux-secret json "--age $AGE2 --encrypted-regex ^(data|stringData)$" "age2.agekey;age-both.agekey"
gen json-pgp-ecc json "--pgp $ECC" "pgp-ecc.asc"
gen dotenv-age dotenv "--age $AGE1" "age1.agekey"
gen binary-age binary "--age $AGE1" "age1.agekey"
gen binary-text binary "--age $AGE2" "age2.agekey"

# Some settings exist only as creation rules, not as flags.
rule() { # case, rule lines (after the age recipient)
  printf 'creation_rules:\n  - age: %s\n%s\n' "$AGE1" "$2" > "$WORK/$1.sops.yaml"
  CONFIG="$WORK/$1.sops.yaml" RULES="age: \$AGE1; $(echo "$2" | sed 's/^ *//' | paste -sd';' | sed 's/;/; /g')" \
    gen "$1" yaml "" "age1.agekey"
}
rule yaml-encrypted-comment-regex '    encrypted_comment_regex: sops:enc'
rule yaml-unencrypted-comment-regex '    unencrypted_comment_regex: sops:plain'

rule yaml-mac-only-encrypted '    encrypted_regex: ^(data|stringData)$
    mac_only_encrypted: true'

# Shamir: three key groups, any two of them recover the data key.
cat > "$WORK/.sops.yaml" <<CFG
creation_rules:
  - shamir_threshold: 2
    key_groups:
      - age: [$AGE1]
      - age: [$AGE2]
      - pgp: [$RSA]
CFG
CONFIG="$WORK/.sops.yaml" RULES='key_groups [age: $AGE1], [age: $AGE2], [pgp: $PGP_RSA]; shamir_threshold: 2' \
  gen yaml-shamir yaml "" "age1.agekey age2.agekey;age1.agekey pgp-rsa.asc;age2.agekey pgp-rsa.asc"
echo "fixtures regenerated in $HERE" >&2
