#!/usr/bin/env bash
# Makes sure the system packages and the Swift toolchain AttnLab builds with are present.
# Installs missing Debian packages when run as root (CI, containers); otherwise prints the command.
set -euo pipefail

packages=(libopenblas-dev libhdf5-dev pkg-config fortunes fortunes-min hdf5-tools)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if (( ${#missing[@]} == 0 )); then
    echo "install-deps: Debian packages present: ${packages[*]}"
elif (( EUID == 0 )); then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
else
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: install them with:" >&2
    echo "    sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

if command -v swift >/dev/null 2>&1; then
    echo "install-deps: $(swift --version 2>/dev/null | head -n 1)"
elif [[ -x /opt/swift/usr/bin/swift ]]; then
    # The Makefile prepends this directory to PATH, so builds work without changing the shell.
    echo "install-deps: swift is not on PATH; using /opt/swift/usr/bin/swift"
    echo "install-deps: to use it directly, run: export PATH=/opt/swift/usr/bin:\$PATH"
else
    echo "install-deps: swift not found. Install Swift 6 for Linux from https://www.swift.org/install/linux/" >&2
    echo "install-deps: and put its usr/bin on PATH (or unpack it to /opt/swift)." >&2
    exit 1
fi
