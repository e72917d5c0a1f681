#!/usr/bin/env bash
# Run the default test suite with the .venv made by scripts/install.sh --dev
# (slow, audio and quality tests are opt-in: -m slow).
# Fails if pytest collects no tests (exit code 5 is an error here).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
PY=.venv/bin/python
[[ -x $PY ]] || { echo "error: .venv/bin/python not found; run bash scripts/install.sh --dev first" >&2; exit 1; }
"$PY" -c 'import pytest' 2>/dev/null ||
  { echo "error: pytest is not installed in .venv; run bash scripts/install.sh --dev first" >&2; exit 1; }
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 PYTHONHASHSEED=0
"$PY" -m pytest "$@"
rc=$?
if [[ $rc -eq 5 ]]; then echo "error: pytest collected no tests" >&2; exit 1; fi
[[ $rc -ne 0 ]] && exit $rc
# The unit tests (kernels vs references) and the ψ-core chain must also pass without numba.
echo "--- again with NUMBA_DISABLE_JIT=1 (unit tests and the psi chain)"
NUMBA_DISABLE_JIT=1 "$PY" -m pytest -q -p no:cacheprovider tests/unit tests/integration/test_psi_chain.py "$@"
rc=$?
if [[ $rc -eq 5 ]]; then echo "error: no tests collected for the NUMBA_DISABLE_JIT pass" >&2; exit 1; fi
exit $rc
