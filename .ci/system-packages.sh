#!/usr/bin/env bash
# Debian/Ubuntu packages LedgerDesk needs on a fresh machine:
#  - Qt's runtime libraries (EGL/GL, xkbcommon, fontconfig, xcb) for the PySide6 wheels;
#  - poppler-utils (pdftotext, pdffonts, pdftoppm) for the tests that check printed sheets.
# No CJK font package on purpose: the app ships its own fonts in resources/fonts,
# and the tests must prove it renders Chinese without any system font.
set -euo pipefail

PACKAGES=(
  libegl1 libgl1 libopengl0 libglib2.0-0 libdbus-1-3 libfontconfig1
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-randr0
  poppler-utils
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
