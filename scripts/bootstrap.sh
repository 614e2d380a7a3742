#!/bin/sh
# Install what libmodellix needs to build and test on Debian 12, if it is missing.
#   scripts/bootstrap.sh          build and test dependencies (cmake: the CMake consumer test; tinyproxy:
#                                 the proxy tests; nginx-light: the HTTP/2 + TLS edge of tests/h2;
#                                 python3-h2: the stream-reset server of tests/h2)
#   scripts/bootstrap.sh --ci     also the CI tools (clang, valgrind, abigail-tools, gcovr)
set -eu
PKGS="meson ninja-build pkg-config gcc libc6-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev
libmicrohttpd-dev python3 ca-certificates openssl cmake tinyproxy nginx-light python3-h2
python3-venv python3-pip python3-setuptools python3-wheel"
if [ "${1:-}" = "--ci" ]; then
    PKGS="$PKGS clang g++ valgrind abigail-tools gcovr binutils devscripts debhelper lintian dpkg-dev python3-mypy"
fi
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "Installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
