#!/usr/bin/env bash
# Installs the Debian 12 packages TEMPO Lab needs, only those missing (no apt-get update when
# nothing is missing). Run as root. Nothing else is downloaded at build or run time.
set -euo pipefail
packages=(
  cmake g++ ccache pkg-config git
  libtorch-dev libopenblas0
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev qt6-svg-dev libqt6sql6-sqlite libqcustomplot-dev
  libsqlite3-dev sqlite3 libpcre2-dev libicu-dev nlohmann-json3-dev libgtest-dev
  xvfb xauth libgl1-mesa-dev libxkbcommon-dev poppler-utils
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
