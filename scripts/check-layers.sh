#!/usr/bin/env bash
# Checks the layering of ARCHITECTURE.md: no Swift file names a type declared in a folder of a
# higher layer, nor one of a different folder on its own layer. Types are the top-level
# `struct/class/enum/protocol/typealias/actor` declarations of each folder; comments and string
# literals are ignored. Prints every offending line and exits 1, or prints a one-line summary.
#
#   scripts/check-layers.sh [SOURCES]     (default: Sources, relative to the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-Sources}"

# Folder -> layer, lowest first. Keep in step with ARCHITECTURE.md.
layers=(
    "AttnLab/Basics:0" "AttnLab/Config:0" "AttnLab/Random:0"
    "AttnLab/Tensor:1" "AttnLab/HDF5:1"
    "AttnLab/Autograd:2" "AttnLab/BLAS:2"
    "AttnLab/Ops:3"
    "AttnLab/Layers:4" "AttnLab/Optim:4"
    "AttnLab/Attention:5"
    "AttnLab/Model:6"
    "AttnLab/Data:7" "AttnLab/ExperimentFiles:7" "AttnLab/Logging:7"
    "AttnLab/Training:8"
    "AttnLab/Inference:9"
    "AttnLab/Reports:10"
    "AttnLab/Experiments:11" "AttnLab/Export:11"
    "AttnLab/Cluster:12"
    "attnlab:13"
)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Source text without comments and string literals (so messages and docs do not count).
strip() { sed -E -e 's#//.*$##' -e 's#"([^"\\]|\\.)*"#""#g' "$@"; }

known=()
for entry in "${layers[@]}"; do
    folder=${entry%%:*}
    [[ -d "$root/$folder" ]] || { echo "check-layers: $root/$folder is in the layer table but does not exist" >&2; exit 2; }
    known+=("$folder")
    strip "$root/$folder"/*.swift \
        | grep -oE '^(public |internal |package |fileprivate |private )?(final )?(struct|class|enum|protocol|typealias|actor) [A-Za-z_][A-Za-z0-9_]*' \
        | awk '{print $NF}' | sort -u > "$scratch/$(echo "$folder" | tr / _).types" || true
    # Every name the folder declares itself, nested ones too: a nested type such as
    # `DataConfig.Tokenizer` shadows a same-named type elsewhere.
    strip "$root/$folder"/*.swift \
        | grep -oE '^\s*(public |internal |package |fileprivate |private )?(final |indirect )?(struct|class|enum|protocol|typealias|actor) [A-Za-z_][A-Za-z0-9_]*' \
        | awk '{print $NF}' | sort -u > "$scratch/$(echo "$folder" | tr / _).own" || true
done

# Every folder holding Swift files must be in the table.
while IFS= read -r dir; do
    rel=${dir#"$root"/}
    found=0
    for k in "${known[@]}"; do [[ "$k" == "$rel" ]] && found=1; done
    if [[ $found -eq 0 ]]; then echo "check-layers: $dir holds Swift files but has no layer in scripts/check-layers.sh" >&2; exit 2; fi
done < <(find "$root" -name '*.swift' ! -path '*/CHDF5*' ! -path '*/CBLAS*' -exec dirname {} \; | sort -u)

violations=0
files=0
for entry in "${layers[@]}"; do
    folder=${entry%%:*}; rank=${entry##*:}
    for other in "${layers[@]}"; do
        ofolder=${other%%:*}; orank=${other##*:}
        [[ "$ofolder" == "$folder" ]] && continue
        (( orank < rank )) && continue
        types="$scratch/$(echo "$ofolder" | tr / _).types"
        [[ -s "$types" ]] || continue
        pattern=$(comm -23 "$types" "$scratch/$(echo "$folder" | tr / _).own" | paste -sd'|' -)
        [[ -n "$pattern" ]] || continue
        for f in "$root/$folder"/*.swift; do
            while IFS= read -r hit; do
                echo "$f:${hit%%:*}: layer $rank ($folder) names $(grep -owE "$pattern" <<< "${hit#*:}" | sort -u | paste -sd, -) from layer $orank ($ofolder)"
                violations=$((violations + 1))
            done < <(strip "$f" | grep -nwE "$pattern" || true)
        done
    done
done
for entry in "${layers[@]}"; do files=$((files + $(ls "$root/${entry%%:*}"/*.swift | wc -l))); done

if (( violations > 0 )); then
    echo "check-layers: $violations reference(s) up or sideways in the layering (ARCHITECTURE.md)" >&2
    exit 1
fi
echo "check-layers: $files files in ${#layers[@]} folders, no reference to a type of a higher layer or a sibling folder"
