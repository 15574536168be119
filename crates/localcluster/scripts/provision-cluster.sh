#!/usr/bin/env bash
# Provision the binaries of Capstan's local test cluster: etcd from Debian, and kube-apiserver +
# kube-controller-manager v1.20.2 built from Debian bookworm's `kubernetes` source package.
#
# Idempotent: the built binaries are cached under $CAPSTAN_CACHE (default ~/.cache/capstan),
# keyed by version, so only the first run pays the ~9 minute build. Prints the bin dir on stdout.
set -euo pipefail

K8S_VERSION=1.20.2
# Bump when the patches below change, so cached builds are rebuilt.
BUILD_ID="$K8S_VERSION-capstan.2"
CACHE="${CAPSTAN_CACHE:-$HOME/.cache/capstan}"
ROOT="$CACHE/kubernetes-$BUILD_ID"
BIN="$ROOT/bin"
LOG="$ROOT/build.log"

log() { printf 'provision-cluster: %s\n' "$*" >&2; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq >&2 || true
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# etcd is needed by every run, build or not.
apt_install etcd-server

if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock 9
if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ]; then
  echo "$BIN"
  exit 0
fi

log "building kube-apiserver and kube-controller-manager $K8S_VERSION (about 9 minutes on 2 cores; log: $LOG)"

# Debian's source package needs a deb-src line for bookworm.
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list 2>/dev/null; then
  log "adding a deb-src line for bookworm"
  echo 'deb-src http://deb.debian.org/debian bookworm main' | sudo_if_needed tee /etc/apt/sources.list.d/capstan-deb-src.list >/dev/null
  sudo_if_needed apt-get update -qq >&2
fi
apt_install dpkg-dev golang-1.19-go rsync jq make \
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev

WORK="$ROOT/work"
rm -rf "$WORK"
mkdir -p "$WORK/src"
cd "$WORK/src"
apt-get source --download-only kubernetes >&2
orig=$(ls kubernetes_*.orig.tar.* | head -n1)
mkdir -p "$WORK/gopath/src/k8s.io"
tar -xf "$orig" -C "$WORK/gopath/src/k8s.io"
top=$(ls "$WORK/gopath/src/k8s.io")
mv "$WORK/gopath/src/k8s.io/$top" "$WORK/gopath/src/k8s.io/kubernetes"
K="$WORK/gopath/src/k8s.io/kubernetes"

# The vendored reflect2 1.0.1 breaks under Go >= 1.18 (SIGSEGV in map iteration on SSA of a
# custom resource's status); swap in Debian's reflect2 1.0.2 and json-iterator 1.1.12.
for pair in "github.com/modern-go/reflect2" "github.com/json-iterator/go"; do
  rm -rf "$K/vendor/$pair"
  mkdir -p "$K/vendor/$pair"
  cp -r "/usr/share/gocode/src/$pair/." "$K/vendor/$pair/"
  find "$K/vendor/$pair" -name '*_test.go' -delete
done

# go-openapi's type validator tests `DeepEqual(reflect.Zero(T), reflect.ValueOf(data))`. Under
# Go >= 1.19 an empty string's interface points at the runtime's shared zero value, as does
# reflect.Zero, so "" compares equal and every empty string in a custom resource is refused as
# "must be of type string: null". Only nil was ever meant.
for f in "$K/vendor/github.com/go-openapi/validate/type.go" "$K/vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go"; do
  [ -f "$f" ] || continue
  sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' "$f"
  grep -q 'if data == nil {' "$f" || { log "patching $f failed"; exit 1; }
done

export GOPATH="$WORK/gopath" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= GOCACHE="$WORK/gocache"
export PATH="/usr/lib/go-1.19/bin:$PATH"
cd "$K"
# The orig tarball is not a git checkout; give the version scripts the version explicitly.
export KUBE_GIT_VERSION="v$K8S_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT=debian
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$LOG" 2>&1 || {
  log "build failed; last lines of $LOG:"; tail -n 40 "$LOG" >&2; exit 1; }

mkdir -p "$BIN.tmp"
cp "_output/bin/kube-apiserver" "_output/bin/kube-controller-manager" "$BIN.tmp/" 2>/dev/null \
  || cp _output/local/bin/*/*/kube-apiserver _output/local/bin/*/*/kube-controller-manager "$BIN.tmp/"
rm -rf "$BIN"
mv "$BIN.tmp" "$BIN"
rm -rf "$WORK"
log "built into $BIN"
echo "$BIN"
