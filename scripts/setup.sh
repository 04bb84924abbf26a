#!/usr/bin/env bash
# Installs what sync-core needs to build, test and run its demo, and nothing that is already there:
# safe to run again and again (make demo and make test both call it first).
set -euo pipefail

APT_PACKAGES=(libcurl4-openssl-dev libssh2-1-dev libsqlite3-dev openssh-server zlib1g-dev pkg-config)
PIP_PACKAGES=("moto[server]")

say() { printf 'setup: %s\n' "$*"; }

if ! command -v swift >/dev/null 2>&1; then
    say "error: the Swift toolchain (6.x) is not on PATH; install it from swift.org first" >&2
    exit 1
fi

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else say "error: need root (or sudo) to run: $*" >&2; exit 1
    fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import moto.server, flask' >/dev/null 2>&1 || ! command -v moto_server >/dev/null 2>&1; then
    say "installing ${PIP_PACKAGES[*]}"
    "$PYTHON" -m pip install -q "${PIP_PACKAGES[@]}"
fi
say "ready"
