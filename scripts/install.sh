#!/usr/bin/env bash
# Install psigraph and what it needs on a fresh Debian/Ubuntu machine.
#   bash scripts/install.sh          runtime: package + export/render extras
#   bash scripts/install.sh --dev    everything the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS="libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3 libportaudio2"
EXTRAS="export"
if [[ "${1:-}" == "--dev" ]]; then
  EXTRAS="dev"
  APT_PKGS="$APT_PKGS espeak-ng"
fi

missing=""
for p in $APT_PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [[ -n "$missing" ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing system packages:$missing" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "warning: missing system packages:$missing (run as root, or install them with apt)" >&2
  fi
fi

python3 -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]" 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import psigraph" || { echo "error: psigraph did not install" >&2; exit 1; }
