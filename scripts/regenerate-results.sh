#!/usr/bin/env bash
# Regenerates every committed table and plot in results/ from the committed HDF5 run files alone
# (and the analytic KV table from the experiment configs). CI runs it and fails when the output
# differs from what is committed.
#
#   scripts/regenerate-results.sh [ATTNLAB]     (default: .build/release/attnlab)
set -euo pipefail
cd "$(dirname "$0")/.."
attnlab="${1:-.build/release/attnlab}"

"$attnlab" kv --all --experiment dsv2-kv-table --out results/dsv2-kv-table.md > /dev/null
for experiment in ablation-dense ablation-mla ablation-q-compression ablation-recall; do
    if [[ -d "results/$experiment" ]]; then
        "$attnlab" report "$experiment" > /dev/null
        echo "regenerated results/$experiment.md"
    fi
done
# The rank sweep's Pareto front spans the other MLA/MHA/GQA/MQA runs.
if [[ -d results/ablation-mla-rank ]]; then
    "$attnlab" report ablation-mla-rank --include ablation-mla --include ablation-dense > /dev/null
    echo "regenerated results/ablation-mla-rank.md"
fi
# The study's tuned experiments (issue 13): `attnlab tune NAME` rewrites the tuning report and the
# tuned experiment from the committed tuning runs (it would train missing ones, so it is called only
# when its dry run finds none to train), then `attnlab report NAME-tuned` writes the headline report.
for study in study-ladder-d64 study-ladder-d96 study-attention study-recall; do
    [[ -f "experiments/$study-tuned.toml" ]] || continue
    plan=$("$attnlab" tune "$study" --dry-run | tail -n 1)
    if [[ "$plan" != *": 0 to train,"* ]]; then
        echo "regenerate-results: $study: tuning runs are missing ($plan); not regenerating its reports" >&2
        exit 1
    fi
    "$attnlab" tune "$study" > /dev/null
    # The headline report needs its runs; before the first is committed there is none to write.
    if [[ -d "results/$study-tuned" ]]; then
        "$attnlab" report "$study-tuned" > /dev/null
        echo "regenerated results/$study-tune.md and results/$study-tuned.md"
    else
        echo "regenerated results/$study-tune.md ($study-tuned has no committed runs yet, so no headline report)"
    fi
done
# The verdict table and size ladder read the run files of every experiment the verdict file names.
"$attnlab" verdict deepseek-v2 > /dev/null
echo "regenerated results/verdict-deepseek-v2.md"
# README.md's results section carries the verdict summary: the "## Summary" table of
# results/verdict-deepseek-v2.md, copied between its verdict-summary markers.
summary=$(awk '/^## Summary$/ {on = 1; next} on && /^## / {exit} on' results/verdict-deepseek-v2.md)
[[ -n "$summary" ]] || { echo "regenerate-results: no '## Summary' section in results/verdict-deepseek-v2.md" >&2; exit 1; }
grep -q '^<!-- verdict-summary:begin' README.md && grep -q '^<!-- verdict-summary:end' README.md \
    || { echo "regenerate-results: README.md lacks the <!-- verdict-summary:begin/end --> markers" >&2; exit 1; }
# ENVIRON, not awk -v, so that no backslash in the table is taken for an escape.
SUMMARY="$summary" awk '
    /^<!-- verdict-summary:begin/ {print; print ENVIRON["SUMMARY"]; skip = 1; next}
    /^<!-- verdict-summary:end/ {skip = 0}
    !skip' README.md > README.md.tmp
mv README.md.tmp README.md
echo "regenerated README.md's verdict summary"
