#!/usr/bin/env bash
# Installs the Debian packages Maskscope builds against, only those missing. Idempotent.
#   libopenblas-dev    BLAS for every GEMM-shaped op        libpng-dev         PNG read/write
#   libturbojpeg0-dev  JPEG decoding (TurboJPEG API)        libncursesw5-dev   the explorer's terminal
#   pkg-config         lets SwiftPM find the libraries      tmux               end-to-end explorer tests
#   xvfb, xterm        the sixel end-to-end test: xterm -ti vt340 on a virtual X display
#   x11-apps, x11-utils  xwd (its screenshot) and xwininfo (where its window is)
set -euo pipefail

packages=(libopenblas-dev libpng-dev libturbojpeg0-dev libncursesw5-dev pkg-config tmux xvfb xterm x11-apps x11-utils)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
    echo "install-deps: Swift 6 is not installed (expected on PATH or at /opt/swift); see https://swift.org/install" >&2
    exit 1
fi
echo "install-deps: all system packages present"
