#!/usr/bin/env bash
# Create (or reuse) .venv/ in the repository root with the tested CPU stack and
# natmae_mm installed in editable mode. Idempotent: a stamp holding the hash of
# the requirement files skips the install when nothing changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV with $($PY --version 2>&1)"
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.natmae_mm_stamp"
HASH="$(cat requirements/*.txt setup.py | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ]; then
    exit 0
fi
echo "[setup] installing the tested CPU stack into .venv (first run takes ~1-2 min)"
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
$PIP install --upgrade 'pip>=23' 'setuptools<82' wheel
# torch first and pinned: a bare 'torch' would pull a multi-GB CUDA build.
$PIP install torch==2.13.0
$PIP install -r requirements/cpu.txt -r requirements/tests.txt
$PIP install --no-build-isolation --no-deps -e .
echo "$HASH" > "$STAMP"
echo "[setup] done: $("$VENV/bin/python" -c 'import torch, mmengine, mmaction; print("torch", torch.__version__, "mmengine", mmengine.__version__, "mmaction2", mmaction.__version__)')"
