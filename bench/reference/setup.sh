#!/usr/bin/env bash
# bench/reference/setup.sh — creates bench/reference/.venv with PyTorch and NumPy from PyPI, for
# the PyTorch peer (peer.py) and the side-by-side timing (compare.py). Optional: nothing else in
# the project (build, tests, CI) needs PyTorch. Re-running it reuses an existing environment.
#   bench/reference/setup.sh [PYTHON]     (default: python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${1:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
  "$py" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --upgrade pip >/dev/null
# The default PyPI wheel (on Linux x86-64 it bundles the CUDA libraries, which the CPU peer
# never loads; several GB of disk).
"$here/.venv/bin/python" -m pip install torch numpy
"$here/.venv/bin/python" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'
