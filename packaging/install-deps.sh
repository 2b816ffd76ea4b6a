#!/bin/sh
# Installs the Debian 12 packages sockwatch needs to build, run and test.
# Idempotent: packages already present are left alone. Needs root (uses sudo
# when run as another user and sudo exists).
set -eu

BUILD="cmake g++ make pkg-config git prometheus-cpp-dev libmicrohttpd-dev libgnutls28-dev \
libspdlog-dev libyaml-cpp-dev libmnl-dev libsystemd-dev libcurl4-openssl-dev libcrypt-dev"
TEST="libgtest-dev libgmock-dev clang-format iproute2 procps curl openssl dpkg-dev lintian \
prometheus prometheus-alertmanager"

case "${1:-}" in
  --build) PACKAGES="$BUILD" ;;
  ""|--test) PACKAGES="$BUILD $TEST" ;;
  *) echo "usage: $0 [--build|--test]" >&2; exit 2 ;;
esac

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo "$0" "$@"
  fi
  echo "install-deps: missing packages:$missing; run as root to install" >&2
  exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's prometheus packages start their services on install where an init
# system runs; sockwatch's tests start their own instances on loopback.
apt-get install -y -qq --no-install-recommends $missing
