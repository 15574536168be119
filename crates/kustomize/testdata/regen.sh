#!/usr/bin/env bash
# Regenerates the expected outputs of every conformance case with the reference tool,
# kubectl v1.34.5 (kustomize v5.7.1), installed by scripts/oracles.sh.
#
#   bash crates/kustomize/testdata/regen.sh [case...]
#
# Each case folder holds its inputs and a `cmd` file: the kubectl command line, run from the
# case folder. Success writes `expected.yaml` (stdout); failure writes `expected.err` (stderr).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${CAPSTAN_ORACLE_BIN:-$(bash "$here/../../../scripts/oracles.sh")}"
cd "$here"
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  mapfile -t cases < <(find . -mindepth 2 -maxdepth 2 -name cmd -printf '%h\n' | sed 's|^\./||' | sort)
fi
for c in "${cases[@]}"; do
  c="${c%/}"
  [ -f "$c/cmd" ] || { echo "skip $c (no cmd)"; continue; }
  read -r cmdline < "$c/cmd"
  out="$(mktemp)"; err="$(mktemp)"
  (cd "$c" && eval "\"$bin/\"$cmdline") >"$out" 2>"$err"
  rc=$?
  if [ $rc -eq 0 ]; then
    mv "$out" "$c/expected.yaml"; rm -f "$c/expected.err" "$err"
  else
    mv "$err" "$c/expected.err"; rm -f "$c/expected.yaml" "$out"
  fi
  echo "$c: rc=$rc"
done
