#!/usr/bin/env bash
# Interop test (CI step 6): AttnLab's exports against the real libraries.
#
#   scripts/interop-test.sh path/to/attnlab
#
# Trains the tiny experiment (300 steps at lr 0.01, enough for varied greedy text) and three more settings (MLA with the normalised query
# bottleneck, MLA with interleaved RoPE and a dense query, MHA with an untied head, GQA with the
# char tokenizer), exports each
# with `attnlab export --format hf`, and checks with transformers that the model loads as
# LlamaForCausalLM / DeepseekV3ForCausalLM with no missing or unexpected weights, that its logits
# on a fixed byte sequence equal `attnlab eval --dump-logits` to 1e-5 relative, that the exported
# tokenizer gives AttnLab's ids, and that greedy generation equals `attnlab generate
# --temperature 0` token for token. Then: runs with no exact counterpart are refused (and leave
# nothing), a committed format-1 run file still exports (MHA) or is refused (MLA, latent eps),
# xarray + h5netcdf open /train and /eval with a named step dimension and units, h5py, h5dump and
# h5ls read every dataset, the CSV export equals the curves bit for bit, and a live (SWMR) run is
# readable while it trains. Missing Python packages (scripts/requirements-interop.txt) are
# installed with pip first. Exits non-zero on the first failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -eq 1 && -x "$1" ]] || { echo "usage: scripts/interop-test.sh path/to/attnlab" >&2; exit 2; }
attnlab="$(realpath "$1")"
python="${PYTHON:-python3}"
check() { "$python" -W ignore "$root/scripts/interop_check.py" "$@"; }
start=$(date +%s)

if ! "$python" -c 'import torch, transformers, safetensors, h5py, h5netcdf, xarray, numpy, pandas' 2>/dev/null; then
    echo "interop: installing Python packages from scripts/requirements-interop.txt" >&2
    "$python" -m pip install --quiet --disable-pip-version-check -r "$root/scripts/requirements-interop.txt"
fi
export TRANSFORMERS_VERBOSITY=error HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$root"
train() {  # results-folder run-name [--set k=v]...
    local out="$1" name="$2"; shift 2
    "$attnlab" run tiny --run "$name" --results "$scratch/$out" --set train.steps=300 --set optimizer.lr=0.01 "$@" > /dev/null 2>&1 \
        || { echo "interop: training tiny/$name ($*) failed" >&2; exit 1; }
}
for run in mha gqa mqa mla; do train tiny "$run"; done
train always mla --set model.attention.query_compression=always
train interleaved mla --set model.rope_style=interleaved --set model.attention.q_lora_rank=0
train untied mha --set model.tie_embeddings=false
train char gqa --set data.tokenizer=char
echo "interop: trained 8 runs in $(( $(date +%s) - start )) s"

for pair in tiny:mha tiny:gqa tiny:mqa tiny:mla always:mla interleaved:mla untied:mha char:gqa; do
    src="$scratch/${pair%%:*}/tiny/${pair#*:}.h5"
    out="$scratch/hf/${pair/:/-}"
    "$attnlab" export "$src" --format hf --out "$out" > /dev/null
    check hf "$attnlab" "$src" "$out"
done

# Refusals: no exact transformers counterpart, so nothing may be written.
refuse() {  # run-file expected-words
    local out="$scratch/refused-$RANDOM" message
    if message=$("$attnlab" export "$1" --format hf --out "$out" 2>&1); then
        echo "interop: FAIL: exporting $1 should have been refused" >&2; exit 1
    fi
    grep -q "$2" <<< "$message" || { echo "interop: FAIL: refusal of $1 does not mention '$2': $message" >&2; exit 1; }
    [[ ! -e "$out/config.json" && ! -e "$out/model.safetensors" ]] || { echo "interop: FAIL: a refused export left files in $out" >&2; exit 1; }
    echo "interop: refused $1: $message"
}
train ropeint mha --set model.rope_style=interleaved --set train.steps=5
refuse "$scratch/ropeint/tiny/mha.h5" "rope_style"
train latent mla --set model.attention.latent_norm_eps=1e-5 --set train.steps=5
refuse "$scratch/latent/tiny/mla.h5" "latent_norm_eps"

# Committed run files are format 1 (no units or scales, saved without weights): the MLA ones,
# whose stored config predates model.attention.latent_norm_eps, read back with the eps they were
# trained with (model.norm_eps = 1e-5) and are refused; the others have no checkpoint to export.
if [[ -f results/ablation-mla/mla-seed1.h5 ]]; then
    refuse results/ablation-mla/mla-seed1.h5 "latent_norm_eps"
    refuse results/ablation-mla/mha-seed1.h5 "no complete checkpoint"
fi

for run in mha gqa mqa mla; do check netcdf "$scratch/tiny/tiny/$run.h5"; done
"$attnlab" export "$scratch/tiny/tiny/mla.h5" --format csv --out "$scratch/csv" > /dev/null
check csv "$scratch/tiny/tiny/mla.h5" "$scratch/csv"
mkdir -p "$scratch/live"
check live "$attnlab" "$scratch/live"
echo "interop: all checks passed in $(( $(date +%s) - start )) s"
