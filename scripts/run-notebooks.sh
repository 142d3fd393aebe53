#!/usr/bin/env bash
# Executes every Markdown notebook in notebooks-md/ headlessly (jupytext reads it, nbclient runs it
# on the python3 kernel in notebooks-md/); exits non-zero if any cell fails.
#
#   scripts/run-notebooks.sh [--results DIR] [--experiment NAME] [--run-file FILE.h5] [NOTEBOOK.md ...]
#
# --results     results folder (default: results/ of this checkout; env ATTNLAB_RESULTS)
# --experiment  experiment under it (default: each notebook's own; env ATTNLAB_EXPERIMENT)
# --run-file    run file opened by 01-run-files (default: the experiment's first; env ATTNLAB_RUN_FILE)
# --keep DIR    keep the executed notebooks (.ipynb, with outputs) in DIR
# 03-verdict reads ATTNLAB_VERDICT (default deepseek-v2) and ATTNLAB_EXPERIMENTS (default experiments/).
# Missing Python packages (scripts/requirements-notebooks.txt) are installed with pip first.
# Figures go to notebooks-md/figures/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
notebooks=()
keep=""
usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || { echo "run-notebooks: $1 needs a value" >&2; usage >&2; exit 2; }; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --results) need_value "$@"; export ATTNLAB_RESULTS="$2"; shift 2 ;;
        --experiment) need_value "$@"; export ATTNLAB_EXPERIMENT="$2"; shift 2 ;;
        --run-file) need_value "$@"; export ATTNLAB_RUN_FILE="$2"; shift 2 ;;
        --keep) need_value "$@"; keep="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "run-notebooks: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) notebooks+=("$1"); shift ;;
    esac
done

# The notebooks run in notebooks-md/, so relative paths given here are made absolute first.
export ATTNLAB_RESULTS="$(realpath -m "${ATTNLAB_RESULTS:-$root/results}")"
[[ -n "${ATTNLAB_RUN_FILE:-}" ]] && export ATTNLAB_RUN_FILE="$(realpath -m "$ATTNLAB_RUN_FILE")"
[[ -n "${ATTNLAB_EXPERIMENTS:-}" ]] && export ATTNLAB_EXPERIMENTS="$(realpath -m "$ATTNLAB_EXPERIMENTS")"
[[ -d "$ATTNLAB_RESULTS" ]] || { echo "run-notebooks: no results folder $ATTNLAB_RESULTS" >&2; exit 2; }
export MPLBACKEND=Agg

# Packages: install only when one is missing.
if ! "$python" -c 'import h5py, numpy, pandas, matplotlib, jupytext, nbclient, ipykernel, xarray, h5netcdf' 2>/dev/null; then
    echo "run-notebooks: installing Python packages from scripts/requirements-notebooks.txt" >&2
    "$python" -m pip install --quiet --disable-pip-version-check -r "$root/scripts/requirements-notebooks.txt"
fi
# A Jupyter kernel named python3 for this interpreter.
if ! "$python" -m jupyter kernelspec list 2>/dev/null | grep -q '^ *python3 '; then
    "$python" -m ipykernel install --user --name python3 >/dev/null
fi

if [[ ${#notebooks[@]} -eq 0 ]]; then
    notebooks=("$root"/notebooks-md/[0-9]*.md)
fi
if [[ -n "$keep" ]]; then
    mkdir -p "$keep"
    out="$(realpath "$keep")"
else
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$root/notebooks-md/figures"

echo "results: $ATTNLAB_RESULTS; experiment: ${ATTNLAB_EXPERIMENT:-default of each notebook}"
failed=0
for nb in "${notebooks[@]}"; do
    [[ -f "$nb" || ! -f "$root/notebooks-md/$nb" ]] || nb="$root/notebooks-md/$nb"
    [[ -f "$nb" ]] || { echo "FAILED  $nb: no such notebook"; failed=$((failed + 1)); continue; }
    nb="$(realpath "$nb")"
    name="$(basename "$nb" .md)"
    start=$SECONDS
    if "$python" - "$nb" "$out/$name.ipynb" >"$out/$name.log" 2>&1 <<'PY'; then
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

source, executed = Path(sys.argv[1]), sys.argv[2]
nb = jupytext.read(source)
client = NotebookClient(nb, kernel_name="python3", timeout=900,
                        resources={"metadata": {"path": str(source.parent)}})
try:
    client.execute()  # raises CellExecutionError (failing cell and traceback) on the first error
finally:
    nbformat.write(nb, executed)
PY
        echo "ok      $name ($((SECONDS - start)) s)"
    else
        echo "FAILED  $name ($((SECONDS - start)) s)"
        # The failing cell and its traceback, without the ANSI colours.
        sed 's/\x1b\[[0-9;]*m//g' "$out/$name.log" | tail -n 40 >&2
        failed=$((failed + 1))
    fi
done
ls "$root"/notebooks-md/figures/*.png 2>/dev/null | sed "s|^$root/|figure: |" || true
if [[ $failed -gt 0 ]]; then
    echo "run-notebooks: $failed of ${#notebooks[@]} notebooks failed" >&2
    exit 1
fi
echo "run-notebooks: ${#notebooks[@]} notebooks executed without errors"
