#!/usr/bin/env bash
# End-to-end test of `attnlab sweep --slurm` against a real Slurm: installs Debian's Slurm
# (slurm-wlm, munge), starts a private single-node cluster on localhost as root (munged,
# slurmctld, slurmd, all configured from a temporary folder, on free ports, so nothing of the
# machine's own Slurm or munge is used or changed), then
#   1. submits the tiny experiment as a job array (3 tasks of 2 runs), waits, checks
#      `attnlab sweep --status` and that `attnlab report` builds the table from the files the
#      tasks wrote; a second submission finds nothing to do;
#   2. submits an experiment with one run whose data file is missing: its task fails,
#      `--status` shows it as failed; after the file is created a re-submission runs only it.
# Every daemon and job it started is stopped on exit (trap), and the script checks that none is
# left. Usage (as root, from the repository): scripts/slurm-test.sh [path/to/attnlab]
#
# Sandbox notes: no cgroups are used (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
# no cgroup.conf), since containers and micro-VMs rarely delegate them; munged runs as root with
# --force on a private socket; SlurmUser/SlurmdUser are root.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
exe=$(realpath "${1:-.build/release/attnlab}")
[[ -x "$exe" ]] || { echo "slurm-test: $exe not found; build with swift build -c release" >&2; exit 1; }
(( EUID == 0 )) || { echo "slurm-test: needs root (installs packages, runs slurmd)" >&2; exit 1; }
started=$SECONDS
say() { echo "slurm-test: [$((SECONDS - started))s] $*"; }

# --- packages --------------------------------------------------------------------------------
packages=(slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
    say "installing ${missing[*]}"
    # Keep the packages' own services (munge's init script) from starting: this test runs its own.
    policy_added=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy_added=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" > /tmp/attnlab-slurm-apt.log 2>&1 \
        || { apt-get update > /dev/null && apt-get install -y --no-install-recommends "${missing[@]}" > /tmp/attnlab-slurm-apt.log 2>&1; } \
        || { tail -20 /tmp/attnlab-slurm-apt.log >&2; (( policy_added )) && rm -f /usr/sbin/policy-rc.d; exit 1; }
    (( policy_added )) && rm -f /usr/sbin/policy-rc.d
fi
say "$(slurmctld -V), $(munged -V 2>&1 | head -n 1)"

# --- a private cluster -----------------------------------------------------------------------
tmp=$(mktemp -d /tmp/attnlab-slurm.XXXXXX)
chmod 711 "$tmp"
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/munge"
chmod 711 "$tmp/munge"
# Every daemon gets this variable; slurmstepd and the jobs inherit it, so cleanup finds exactly
# the processes this test started (and checks that none survives).
marker="ATTNLAB_SLURM_TEST=$tmp"
export SLURM_CONF="$tmp/slurm.conf"

cluster_pids() {
    local p
    for p in /proc/[0-9]*; do
        [[ "${p#/proc/}" == "$$" ]] && continue
        { tr "\0" "\n" < "$p/environ"; } 2>/dev/null | grep -qxF "$marker" && echo "${p#/proc/}"
    done
    return 0
}

cleanup() {
    local code=$?
    set +e
    if [[ -f "$tmp/slurmctld.pid" ]]; then
        scancel --quiet --user=root --partition=attnlab 2>/dev/null
        for _ in $(seq 50); do [[ -z "$(squeue -h 2>/dev/null)" ]] && break; sleep 0.2; done
    fi
    for f in slurmd slurmctld munge/munged; do
        [[ -f "$tmp/$f.pid" ]] && kill "$(cat "$tmp/$f.pid")" 2>/dev/null
    done
    for _ in $(seq 50); do [[ -z "$(cluster_pids)" ]] && break; sleep 0.2; done
    left=$(cluster_pids)
    if [[ -n "$left" ]]; then
        echo "slurm-test: still running after stop, killing: $left" >&2
        kill -9 $left 2>/dev/null
        code=1
    fi
    if (( code != 0 )); then
        for log in "$tmp"/slurmctld.log "$tmp"/slurmd.log "$tmp"/munge/munged.log; do
            [[ -f "$log" ]] && { echo "--- $log (last 15 lines)" >&2; tail -15 "$log" >&2; }
        done
    fi
    rm -rf "$tmp"
    echo "slurm-test: daemons stopped, nothing left running; exit $code (wall time $((SECONDS - started))s)"
    exit $code
}
trap cleanup EXIT

# Two free ports in the dynamic range (bash's /dev/tcp connects when something listens).
free_port() {
    local p
    while :; do
        p=$(( 20000 + RANDOM % 30000 ))
        (exec 3<> "/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [[ "$slurmd_port" == "$ctld_port" ]]; do slurmd_port=$(free_port); done

mungekey --create --keyfile="$tmp/munge/munge.key"
env "$marker" munged --force --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" \
    --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed"

cat > "$SLURM_CONF" <<EOF
ClusterName=attnlabtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=2048 State=UNKNOWN
PartitionName=attnlab Nodes=localhost Default=YES MaxTime=30:00 State=UP
EOF
env "$marker" slurmctld -f "$SLURM_CONF"
env "$marker" slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 100); do
    [[ "$(sinfo -h -o %T 2>/dev/null)" == idle ]] && break
    sleep 0.2
done
[[ "$(sinfo -h -o %T)" == idle ]] || { echo "slurm-test: node did not come up: $(sinfo 2>&1)" >&2; exit 1; }
say "cluster up: slurmctld :$ctld_port, slurmd :$slurmd_port, $(sinfo -h -o '%P %D node(s) %c CPUs %T')"

# Waits (at most $2 seconds) until job $1 has left the queue.
wait_job() {
    local deadline=$((SECONDS + $2))
    while [[ -n "$(squeue -h -j "$1" 2>/dev/null)" ]]; do
        (( SECONDS < deadline )) || { echo "slurm-test: job $1 still queued after $2 s:" >&2; squeue >&2; return 1; }
        sleep 1
    done
}
fail() { echo "slurm-test: FAILED: $*" >&2; exit 1; }
job_id() { sed -n 's/^submitted: job \([0-9]*\)$/\1/p' <<< "$1"; }

# --- 1. the tiny experiment as a job array ---------------------------------------------------
results="$tmp/results"
say "1. attnlab sweep tiny --slurm --submit (6 runs, --pack 2, --array-limit 2)"
out=$("$exe" sweep tiny --slurm --submit --results "$results" --cpus-per-task 1 --pack 2 --array-limit 2 --time 00:10:00 --mem 500M)
echo "$out"
job=$(job_id "$out")
[[ -n "$job" ]] || fail "no job id in the output above"
grep -q '^#SBATCH --array=0-2%2$' "$results/tiny/slurm/1/job.sbatch" || fail "job.sbatch has no --array=0-2%2"
wait_job "$job" 300
say "job $job done"
status=$("$exe" sweep tiny --status --results "$results")
echo "$status"
grep -q '^tiny: 6 runs: 6 finished$' <<< "$status" || fail "--status does not show 6 finished runs"
for t in 0 1 2; do
    grep -q "manifest lines $((2 * t))..$((2 * t + 1))" "$results/tiny/slurm/1/task-$t.log" || fail "task-$t.log: $(cat "$results/tiny/slurm/1/task-$t.log")"
done
"$exe" report tiny --results "$results" > /dev/null
for run in mha gqa mqa mla gta gla; do
    grep -q "^| $run |" "$results/tiny.md" || fail "results/tiny.md has no row for $run"
done
say "attnlab report tiny: $results/tiny.md has the rows of mha, gqa, mqa, mla, gta and gla"
again=$("$exe" sweep tiny --slurm --submit --results "$results")
echo "$again"
grep -q '^nothing to submit' <<< "$again" || fail "a second submission found work to do"

# --- 2. a failing task, and re-running only it -----------------------------------------------
exps="$tmp/experiments"
mkdir -p "$exps"
cp experiments/quickstart.toml experiments/tiny.toml "$exps/"
cat > "$exps/tinyfail.toml" <<EOF
base = "tiny"
description = "tiny with one run whose data file is missing (the Slurm test's failing task)"

[[variants]]
name = "ok"
set = { "model.attention.kind" = "mqa" }

[[variants]]
name = "nodata"
set = { "model.attention.kind" = "mla", "data.source" = "file", "data.path" = "$tmp/corpus.txt" }
EOF
say "2. attnlab sweep tinyfail --slurm --submit (run nodata reads the missing $tmp/corpus.txt)"
out=$("$exe" sweep tinyfail --slurm --submit --experiments "$exps" --results "$results")
echo "$out"
job=$(job_id "$out")
[[ -n "$job" ]] || fail "no job id in the output above"
wait_job "$job" 300
status=$("$exe" sweep tinyfail --status --experiments "$exps" --results "$results")
echo "$status"
grep -q '^  ok  *finished ' <<< "$status" || fail "run ok is not finished"
grep -q "^  nodata  *failed .*corpus.txt" <<< "$status" || fail "run nodata is not shown as failed with the missing file"
grep -q "line 1 exit code 1" "$results/tinyfail/slurm/1/task-1.log" || fail "task-1.log does not show the failure"
ok_before=$(stat -c %Y.%s "$results/tinyfail/ok.h5")

cp README.md "$tmp/corpus.txt"
say "data file created; re-submitting"
out=$("$exe" sweep tinyfail --slurm --submit --experiments "$exps" --results "$results")
echo "$out"
grep -q 'manifest: .*/tinyfail/slurm/2/manifest.tsv: 1 of 2 runs to do; left out: 1 finished' <<< "$out" || fail "the re-submission does not hold just the failed run"
[[ "$(grep -v '^#' "$results/tinyfail/slurm/2/manifest.tsv" | cut -f2)" == nodata ]] || fail "manifest 2 is not just nodata"
job=$(job_id "$out")
wait_job "$job" 300
status=$("$exe" sweep tinyfail --status --experiments "$exps" --results "$results")
echo "$status"
grep -q '^tinyfail: 2 runs: 2 finished$' <<< "$status" || fail "not both runs finished after the re-submission"
[[ "$(stat -c %Y.%s "$results/tinyfail/ok.h5")" == "$ok_before" ]] || fail "the re-submission touched the finished run ok"
"$exe" report tinyfail --results "$results" > /dev/null
grep -q '^| nodata |' "$results/tinyfail.md" || fail "results/tinyfail.md has no row for nodata"
say "all checks passed"
