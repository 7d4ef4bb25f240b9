#!/usr/bin/env bash
# Create (or update) the reference venv with exactly the pins in requirements.txt.
#
#   Tools/reference/setup-venv.sh                      # venv at ../maskscope-ref-venv (beside the repo)
#   MASKSCOPE_REF_VENV=/some/path Tools/reference/setup-venv.sh
#   PYTHON=python3.11 Tools/reference/setup-venv.sh    # interpreter used to create it (>= 3.10)
#   Tools/reference/setup-venv.sh 5                    # the transformers 5.x venv (requirements5.txt +
#                                                      # torchvision) at ../maskscope-ref-venv5
#
# Idempotent: a stamp file inside the venv records the sha256 of requirements.txt; when it matches,
# nothing is installed. Everything comes from PyPI: the PyTorch wheel index is not reachable from
# fresh machines here, and pip retrying it made this script hang.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
if [[ "${1:-}" == "5" ]]; then
    venv="${MASKSCOPE_REF_VENV5:-$repo/../maskscope-ref-venv5}"
    requirements="$here/requirements5.txt"
    # torchvision matching torch 2.13, installed without its dependencies (see requirements5.txt).
    extra_no_deps="torchvision==0.28.0"
else
    venv="${MASKSCOPE_REF_VENV:-$repo/../maskscope-ref-venv}"
    requirements="$here/requirements.txt"
    extra_no_deps=""
fi
stamp="$venv/.maskscope-requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
    echo "setup-venv: $venv is up to date with $(basename "$requirements")"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    echo "setup-venv: creating $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
fi

"$venv/bin/python" -m pip install -r "$requirements"
if [[ -n "$extra_no_deps" ]]; then "$venv/bin/python" -m pip install --no-deps "$extra_no_deps"; fi
"$venv/bin/python" - <<'EOF'
import torch, transformers, PIL, safetensors, numpy, scipy
print(f"setup-venv: torch {torch.__version__}, transformers {transformers.__version__}, "
      f"pillow {PIL.__version__}, safetensors {safetensors.__version__}, numpy {numpy.__version__}, "
      f"scipy {scipy.__version__}")
EOF
echo "$want" > "$stamp"
echo "setup-venv: ready. Use: $venv/bin/python Tools/reference/make_fixtures.py"
