#!/usr/bin/env bash
# Install psigraph into a virtual environment .venv in this repository.
#   bash scripts/install.sh          runtime: package + [audio,export] extras
#   bash scripts/install.sh --dev    everything the test suite needs ([dev], Xvfb for editor checks)
#   bash scripts/install.sh --dev --browser   also Debian's chromium + chromedriver (-m browser tests)
#
# Works with any python3 >= 3.11 on PATH, including a distro's externally
# managed /usr/bin/python3 (PEP 668): nothing is installed outside .venv.
# As root it apt-installs the system libraries (and python3-venv when needed)
# and links psigraph into /usr/local/bin; otherwise it links into ~/.local/bin
# when that is on PATH, or prints the PATH line to add.
# Every failing step prints one line "error: <what>; <how to fix>" and exits 1.
#
# Environment: PYTHON=<interpreter> (default python3); PSIGRAPH_BIN_DIR=<dir>
# to link psigraph there instead (PSIGRAPH_BIN_DIR= empty: do not link).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$(pwd -P)
VENV="$REPO/.venv"
VPY="$VENV/bin/python"

die() { echo "error: $*" >&2; exit 1; }

MODE=runtime
BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --dev) MODE=dev ;;
    --browser) BROWSER=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bash scripts/install.sh [--dev] [--browser]" >&2; die "unknown argument '$arg'; use --dev, --browser or nothing" ;;
  esac
done

APT_PKGS="libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3 libportaudio2"
EXTRAS="audio,export"
if [[ $MODE == dev ]]; then
  EXTRAS="dev"
  APT_PKGS="$APT_PKGS espeak-ng xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"
  APT_PKGS="$APT_PKGS libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1"
fi
[[ $BROWSER == 1 ]] && APT_PKGS="$APT_PKGS chromium chromium-driver"

# ---------------------------------------------------------------- python
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null 2>&1 ||
  die "$PY not found; install Python >= 3.11 (apt-get install python3 python3-venv)"
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) ||
  die "$PY does not run; install Python >= 3.11 (apt-get install python3 python3-venv)"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "psigraph needs Python >= 3.11 but $PY is $PYVER; install a newer python3 or set PYTHON=/path/to/python3.11"

# The venv is made from the real interpreter, not a link or shim pointing at it.
PYEXE=$("$PY" -c 'import os, sys; print(os.path.realpath(sys.executable))') ||
  die "$PY does not run; install Python >= 3.11 (apt-get install python3 python3-venv)"

# A venv from a Debian/Ubuntu python needs python3-venv (ensurepip); test it
# only when .venv has to be (re)made.
venv_ok() { [[ -x $VPY ]] && "$VPY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null &&
            "$VPY" -m pip --version >/dev/null 2>&1; }
need_venv_pkg=""
if ! venv_ok && command -v dpkg >/dev/null 2>&1; then
  "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1 || need_venv_pkg="python3-venv python$PYVER-venv"
fi

# Ahead-of-time kernels (numba.pycc) need a C compiler and the interpreter's headers.
command -v cc >/dev/null 2>&1 || APT_PKGS="$APT_PKGS gcc libc6-dev"
"$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null ||
  APT_PKGS="$APT_PKGS python$PYVER-dev"

# ---------------------------------------------------------------- system packages
missing=""
if command -v dpkg >/dev/null 2>&1; then
  for p in $APT_PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
fi
missing="$missing${need_venv_pkg:+ $need_venv_pkg}"
if [[ -n $missing ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 ||
      die "apt-get update failed; check the apt sources and network, then rerun bash scripts/install.sh"
    apt_log=$(apt-get install -y -qq $missing 2>&1 >/dev/null) ||
      die "apt-get install$missing failed (${apt_log##*$'\n'}); install them by hand and rerun bash scripts/install.sh"
  else
    echo "warning: missing system packages:$missing; install them as root: apt-get install$missing" >&2
  fi
fi

# ---------------------------------------------------------------- virtual environment
if ! venv_ok; then
  if [[ -e $VENV && ! -f $VENV/pyvenv.cfg ]]; then
    die "$VENV exists but is not a virtual environment; move it away and rerun bash scripts/install.sh"
  fi
  [[ -d $VENV ]] && echo "recreating the broken virtual environment $VENV" >&2
  rm -rf "$VENV"
  echo "creating virtual environment .venv with $PYEXE (Python $PYVER)" >&2
  if ! venv_log=$("$PYEXE" -m venv "$VENV" 2>&1) || ! venv_ok; then
    rm -rf "$VENV"
    if [[ $venv_log == *ensurepip* ]]; then why="ensurepip is not available"
    else why=$(printf '%s\n' "$venv_log" | grep -v '^[[:space:]]*$' | tail -n1); fi
    die "could not create .venv with $PY${why:+ ($why)}; install python3-venv (apt-get install python3-venv python$PYVER-venv) and rerun bash scripts/install.sh"
  fi
fi

# ---------------------------------------------------------------- pip install
# This machine's pip.conf names index folders that may not exist ("Location ...
# is ignored"); drop that noise and pip's root warning, keep everything else.
pip_quiet() {
  "$VPY" -m pip "$@" 2>&1 |
    grep -v -E "^WARNING: Location '.*' is ignored|Running pip as the 'root' user|^WARNING: There was an error checking the latest version" >&2
  return "${PIPESTATUS[0]}"
}
echo "installing psigraph[$EXTRAS] into .venv (editable)" >&2
pip_quiet install -q --disable-pip-version-check --no-input -e ".[$EXTRAS]" ||
  die "pip install -e .[$EXTRAS] into .venv failed (pip's message is above); fix that and rerun bash scripts/install.sh"

# The check runs outside the repository, so the installed package is what imports.
check_out=$(cd / && "$VPY" -c 'import psigraph, psigraph.runtime.cli, psigraph.nodes; print(psigraph.__file__)' 2>&1) ||
  die "the installed psigraph does not import (${check_out##*$'\n'}); rerun bash scripts/install.sh, or delete .venv and rerun it"
[[ $check_out == "$REPO"/* ]] ||
  die "python in .venv imports psigraph from $check_out, not from $REPO; delete .venv and rerun bash scripts/install.sh"
[[ -x $VENV/bin/psigraph ]] ||
  die "pip did not create $VENV/bin/psigraph; delete .venv and rerun bash scripts/install.sh"

# ---------------------------------------------------------------- compiled kernels
# say loads its hot kernels from an ahead-of-time build (no numba import at start-up);
# without one (no C compiler) numba's JIT serves, only start-up is slower.
echo "compiling kernels ahead of time (one-time, about a minute)..." >&2
"$VPY" -m psigraph.kernels.aot build --missing ||
  echo "warning: ahead-of-time kernels not built; psigraph uses numba's JIT (slower start-up)" >&2

# ---------------------------------------------------------------- numba caches
# The first `say` compiles the JIT kernels; do it now (cached in __pycache__).
echo "compiling kernels (one-time)..." >&2
warm=$(mktemp -d) || die "mktemp failed; check that \$TMPDIR is writable"
warm_log=$(cd "$warm" && "$VENV/bin/psigraph" say "Hello." -o warm.wav --frames warm.jsonl --db warm.db -q 2>&1)
rc=$?
rm -rf "$warm"
[[ $rc -eq 0 ]] ||
  die "compiling kernels with 'psigraph say' failed (${warm_log##*$'\n'}); run .venv/bin/psigraph say \"Hello.\" -o x.wav to see it"

# ---------------------------------------------------------------- psigraph on PATH
on_path() { case ":$PATH:" in *":$1:"*) return 0 ;; esac; return 1; }
if [[ -n ${PSIGRAPH_BIN_DIR+x} ]]; then
  bindir=$PSIGRAPH_BIN_DIR
elif [[ $(id -u) -eq 0 ]]; then
  bindir=/usr/local/bin
elif on_path "$HOME/.local/bin"; then
  bindir=$HOME/.local/bin
else
  bindir=""
fi
linked=""
if [[ -n $bindir ]]; then
  target="$bindir/psigraph"
  if [[ -e $target && ! -L $target ]]; then
    echo "warning: $target exists and is not a link; left it alone" >&2
  elif mkdir -p "$bindir" 2>/dev/null && ln -sfn "$VENV/bin/psigraph" "$target" 2>/dev/null; then
    linked=$target
  else
    echo "warning: could not link $target" >&2
  fi
fi
hash -r
found=$(type -P psigraph || true)
if [[ -n $found && $(readlink -f "$found") == $(readlink -f "$VENV/bin/psigraph") ]]; then
  echo "psigraph installed: $found -> $VENV/bin/psigraph"
elif [[ -n $linked ]] && on_path "$bindir"; then
  echo "psigraph installed: $VENV/bin/psigraph (linked as $linked, but 'psigraph' on PATH is $found; run .venv/bin/psigraph or put $bindir first on PATH)"
else
  echo "psigraph installed: $VENV/bin/psigraph; to run it as 'psigraph', add to PATH: export PATH=\"$VENV/bin:\$PATH\""
fi
