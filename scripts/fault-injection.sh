#!/usr/bin/env bash
# Fault-injection suite for AttnLab's run files (the reliability issue): what happens to a run and
# its HDF5 file when the process is SIGKILLed, the disk fills up, two writers meet, files are
# damaged, or configs are malformed. The checks are written to the TARGET behaviour (README.md,
# results/README.md and the reliability issue), not to what the current binary happens to do.
#
#   bash scripts/fault-injection.sh [path/to/attnlab]      (from anywhere; default .build/release/attnlab)
#
# Environment: FAULT_SEED (default 1729) seeds every random choice (kill moments, damaged bytes,
# config mutations); FAULT_KEEP=1 keeps the scratch directory; FAULT_ONLY="1 4" runs only those
# groups (1 kill, 2 disk full, 3 concurrent writers, 4 damaged files, 5 config fuzz).
# Needs python3 with h5py and numpy (installed with pip when missing). Disk-full checks mount a
# tmpfs (root only) and are skipped with a message when mount is not permitted.
# Prints one PASS/FAIL line per check and ends with the line "N passed, N failed"; exits 1 if any
# check failed. Tiny runs only (seconds each, one at a time); every command runs under `timeout`.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN_ARG="${1:-.build/release/attnlab}"
[[ -x "$BIN_ARG" ]] || { echo "fault-injection: no attnlab executable at $BIN_ARG (build with: swift build -c release)" >&2; exit 2; }
BIN="$(realpath "$BIN_ARG")"
SEED="${FAULT_SEED:-1729}"
ONLY="${FAULT_ONLY:-1 2 3 4 5}"
PY="${PYTHON:-python3}"
HELPER="$ROOT/scripts/fault_injection.py"
SUITE_START=$EPOCHREALTIME

echo "fault-injection: binary $BIN"
echo "fault-injection: seed $SEED (override with FAULT_SEED=N)"

if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
    echo "fault-injection: installing h5py and numpy with pip"
    "$PY" -m pip install --quiet --disable-pip-version-check 'h5py>=3.10,<4' 'numpy>=1.26,<3' ||
        { echo "fault-injection: cannot install h5py" >&2; exit 2; }
fi

W="$(mktemp -d /tmp/attnlab-fault.XXXXXX)"
MNT=""
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    reap_strays
    if [[ -n "$MNT" ]] && mountpoint -q "$MNT"; then umount "$MNT" 2>/dev/null || umount -l "$MNT"; fi
    if [[ "${FAULT_KEEP:-0}" == 1 ]]; then echo "fault-injection: scratch kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'PASS  %s: %s\n' "$1" "$2"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL  %s: %s\n' "$1" "$2"; }
skip() { printf 'SKIP  %s: %s\n' "$1" "$2"; }
check() { if [[ "$1" == 0 ]]; then pass "$2" "$3"; else fail "$2" "$3"; fi; }
section() { printf '\n== %s\n' "$1"; }
want() { [[ " $ONLY " == *" $1 "* ]]; }
join() { local IFS=';'; printf '%s' "$*"; }

# run_cmd SECONDS CMD... : runs CMD under timeout (SIGKILL 2 s after SIGTERM) with its output in
# $OUTP.out / $OUTP.err (default $W/last); sets RC and SECS (wall seconds, 2 decimals).
OUTP=""
run_cmd() {
    local limit=$1; shift
    local t0=$EPOCHREALTIME out=${OUTP:-$W/last}
    timeout -k 2 "$limit" "$@" >"$out.out" 2>"$out.err" </dev/null
    RC=$?
    SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
}
# What a run_cmd result looks like when it is a hang or a crash ("" otherwise).
abnormal() {
    case $RC in
        124|137) echo "hang: no exit within the timeout (rc $RC after ${SECS}s)" ;;
        132) echo "crash: SIGILL/trap (rc 132)" ;;
        133) echo "crash: SIGTRAP (rc 133)" ;;
        134) echo "crash: SIGABRT (rc 134)" ;;
        139) echo "crash: SIGSEGV (rc 139)" ;;
        *) if (( RC >= 128 )); then echo "killed by signal $((RC - 128)) (rc $RC)"; fi ;;
    esac
}
# The first meaningful line of the last command's stderr (else stdout), progress lines skipped.
errline() {
    local l f out=${OUTP:-$W/last}
    for f in "$out.err" "$out.out"; do
        l=$(grep -v -E '^(\S+/\S+ (step|eval @)|$)' "$f" | grep -m1 -E 'rror|rash|fail|refus|cannot|already|no |No ' ||
            grep -m1 -v -E '^(\S+/\S+ (step|eval @)|$)' "$f")
        [[ -n "$l" ]] && break
    done
    l=${l//$'\r'/}
    printf '%s' "${l:0:220}"
}
alltext() { cat "${OUTP:-$W/last}.out" "${OUTP:-$W/last}.err"; }
errtext() { cat "${OUTP:-$W/last}.err"; }
# Processes left behind by killed commands (a sweep's children run in their own process groups):
# found by our scratch directory in their command line, ended by pid.
reap_strays() { reap_strays_except ""; }
reap_strays_except() {
    local p
    for p in /proc/[0-9]*; do
        [[ ${p#/proc/} == "$$" || ${p#/proc/} == "$1" ]] && continue
        grep -q -a -F -- "$W/" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
    done
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
# Seeded random numbers: a linear congruential generator whose state lives in this shell (bash's
# $RANDOM is reseeded in every $(...) subshell, so it cannot be used there).
RSTATE=$(( SEED % 2147483648 ))
# rand_between LO HI: sets R to a number in [LO, HI] (4 decimals).
rand_between() {
    RSTATE=$(( (RSTATE * 1103515245 + 12345) % 2147483648 ))
    R=$(awk -v r="$(( RSTATE >> 8 ))" -v lo="$1" -v hi="$2" 'BEGIN { printf "%.4f", lo + (hi - lo) * r / 8388607 }')
}
h5() { "$PY" "$HELPER" "$@"; }

# The kill/resume experiment: tiny's MHA run, one thread (bit-identical curves need a fixed
# thread count), 200 steps of ~6 ms, a checkpoint every 20 steps, frequent flushes.
STEPS=200
KSET=(--set train.threads=1 --set train.steps=$STEPS --set log.checkpoint_every=20 --set log.flush_seconds=0.2)
REF="$W/ref"
REF_FILE="$REF/tiny/mha.h5"

if want 1 || want 4; then
section "setup: uninterrupted reference runs (tiny, ${STEPS} steps, 1 thread)"
t0=$EPOCHREALTIME
for run in mha gqa mqa mla; do
    run_cmd 60 "$BIN" run tiny --run "$run" "${KSET[@]}" --results "$REF"
    if [[ $RC != 0 ]]; then
        fail "setup reference $run" "attnlab run tiny --run $run exited $RC: $(errline); nothing else can be checked"
        echo "$PASSED passed, $FAILED failed"
        exit 1
    fi
done
echo "reference runs written in $(elapsed "$t0") s"
fi

# ---------------------------------------------------------------------------------------------
# 1. SIGKILL at random moments, then inspect / resume / compare with the reference
# ---------------------------------------------------------------------------------------------
# recover NAME DIR: the checks after a kill of the run whose results folder is DIR.
recover() {
    local name=$1 dir=$2 file="$2/tiny/mha.h5" info status ckpt t0
    if [[ ! -e "$file" ]]; then
        run_cmd 60 "$BIN" run tiny --run mha "${KSET[@]}" --results "$dir"
        if [[ $RC == 0 ]]; then
            local cmp; cmp=$(h5 compare "$REF_FILE" "$file"); check $? "$name rerun" "killed before the file existed; plain re-run rc 0 in ${SECS}s, $cmp"
        else
            fail "$name rerun" "killed before the file existed; plain re-run exited $RC after ${SECS}s: $(errline)"
        fi
        return
    fi
    local opened; opened=$(h5 open "$file"); check $? "$name h5py-open" "$opened ($(stat -c %s "$file") bytes)"
    run_cmd 20 "$BIN" inspect "$file"
    if [[ $RC == 0 ]] && awk -v s="$SECS" 'BEGIN { exit !(s <= 5) }'; then
        pass "$name inspect" "rc 0 in ${SECS}s"
    else
        fail "$name inspect" "rc $RC in ${SECS}s $(abnormal) $(errline)"
    fi
    info=$(h5 info "$file")
    status=$(sed -n 's/.*"status": "\([a-z]*\)".*/\1/p' <<< "$info")
    ckpt=$(sed -n 's/.*"checkpoint_step": \([0-9]*\).*/\1/p' <<< "$info")
    if [[ "$status" == finished ]]; then
        local cmp; cmp=$(h5 compare "$REF_FILE" "$file"); check $? "$name final-file" "the kill came after the run finished; $cmp"
        return
    fi
    if [[ -n "$ckpt" ]]; then
        run_cmd 60 "$BIN" run tiny --run mha "${KSET[@]}" --results "$dir" --resume "$file"
        if [[ $RC != 0 ]]; then
            fail "$name resume" "file holds a checkpoint at step $ckpt; --resume exited $RC after ${SECS}s $(abnormal): $(errline)"
        else
            local cmp; cmp=$(h5 compare "$REF_FILE" "$file"); check $? "$name resume" "from the checkpoint at step $ckpt, rc 0 in ${SECS}s; $cmp"
        fi
        return
    fi
    # No checkpoint (or an unreadable file): --resume must refuse clearly, --overwrite re-runs.
    local what="no checkpoint"; [[ -z "$status" ]] && what="file unreadable ($info)"
    run_cmd 20 "$BIN" run tiny --run mha "${KSET[@]}" --results "$dir" --resume "$file"
    local msg; msg=$(errline)
    # The refusal names the file and, for a readable file, the missing checkpoint (an unreadable
    # file is already a failure of the h5py-open check above).
    local cause='checkpoint'; [[ -z "$status" ]] && cause='.'
    if [[ $RC != 0 && -z "$(abnormal)" ]] && awk -v s="$SECS" 'BEGIN { exit !(s <= 10) }' &&
        grep -q -F "$file" <<< "$(alltext)" && grep -qi -E "$cause" <<< "$(alltext)"; then
        pass "$name resume-refused" "$what: --resume exits $RC in ${SECS}s: $msg"
    else
        fail "$name resume-refused" "$what: expected a clear refusal naming the file and the missing checkpoint; got rc $RC in ${SECS}s $(abnormal): $msg"
    fi
    run_cmd 60 "$BIN" run tiny --run mha "${KSET[@]}" --results "$dir" --overwrite
    if [[ $RC == 0 ]]; then
        local cmp; cmp=$(h5 compare "$REF_FILE" "$file"); check $? "$name overwrite" "--overwrite re-run rc 0 in ${SECS}s; $cmp"
    else
        fail "$name overwrite" "--overwrite re-run exited $RC after ${SECS}s $(abnormal): $(errline)"
    fi
}

# kill_trial NAME MODE DELAY [LINE]
kill_trial() {
    local name=$1 mode=$2 delay=$3 line=${4:-} dir="$W/kill/$1"
    mkdir -p "$dir"
    local res
    res=$(KILL_LINE="$line" h5 killrun "$mode" "$delay" "$dir/tiny/mha.h5" "$dir/run.log" -- \
        "$BIN" run tiny --run mha "${KSET[@]}" --results "$dir")
    echo "  $name: $mode${line:+ \"$line\"} +${delay}s -> $res"
    if [[ "$res" == *'"killed": false'* ]]; then
        echo "  $name: the run ended before the kill; checking the file it left"
    fi
    recover "$name" "$dir"
}

if want 1; then
    section "1. SIGKILL at random moments (file appearance, mid-run, final checkpoint)"
    t1=$EPOCHREALTIME
    # Right after the file appears: polled every 0.2 ms, killed within milliseconds.
    kill_trial "1.kill appear#1" appear 0
    rand_between 0.0005 0.004; kill_trial "1.kill appear#2" appear "$R"
    rand_between 0.01 0.06; kill_trial "1.kill appear#3" appear "$R"
    rand_between 0.06 0.15; kill_trial "1.kill appear#4" appear "$R"
    # Before anything: the file may not exist yet.
    rand_between 0.005 0.03; kill_trial "1.kill early" time "$R"
    # Random moments of the run (it trains for about 1.3 s, longer on a busy machine).
    for i in 1 2 3 4 5; do rand_between 0.15 1.3; kill_trial "1.kill mid#$i" time "$R"; done
    # Around the final checkpoint: after the last evaluation is printed, the last checkpoint,
    # status and close follow within a few milliseconds.
    kill_trial "1.kill final#1" line 0 "eval @ $STEPS:"
    rand_between 0 0.002; kill_trial "1.kill final#2" line "$R" "eval @ $STEPS:"
    rand_between 0.001 0.006; kill_trial "1.kill final#3" line "$R" "eval @ $STEPS:"
    # Around a mid-run checkpoint (the one at step 100, right after that evaluation).
    rand_between 0 0.003; kill_trial "1.kill ckpt#1" line "$R" "eval @ 100:"
    echo "group 1 took $(elapsed "$t1") s"
fi

# ---------------------------------------------------------------------------------------------
# 2. Disk full (a tmpfs as --results)
# ---------------------------------------------------------------------------------------------
free_bytes() { "$PY" -c 'import os, sys; s = os.statvfs(sys.argv[1]); print(s.f_bavail * s.f_frsize)' "$1"; }
nospace_message() {  # names the file and the cause
    local text; text=$(alltext)
    grep -q -F "$1" <<< "$text" && grep -qi -E 'no space|ENOSPC|disk (is )?full|errno = 28' <<< "$text"
}

if want 2; then
    section "2. disk full (tmpfs of 8 MiB as --results)"
    t2=$EPOCHREALTIME
    MNT="$W/mnt"
    mkdir -p "$MNT"
    if (( EUID != 0 )) || ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2>"$W/mount.err"; then
        skip "2.diskfull" "cannot mount a tmpfs ($(head -c 200 "$W/mount.err" 2>/dev/null)); not root or not permitted"
        MNT=""
    else
        # (a) Mid-run: many tiny steps; the curves grow by one chunk set (~64 KiB) every 1024
        # steps. The free space is set to the file's size after its first steps plus ~40 KiB, so
        # creation and the first 1024 steps fit and a later flush runs out of space.
        DSET=(--set train.threads=1 --set train.batch_size=1 --set data.seq_len=8 --set eval.every=100000
              --set eval.windows=1 --set log.every=1000 --set log.flush_seconds=0.05 --set schedule.warmup_steps=1
              --set log.checkpoint_every=0)
        run_cmd 60 "$BIN" run tiny --run mha "${DSET[@]}" --set train.steps=1 --results "$W/disk-size"
        base=$(stat -c %s "$W/disk-size/tiny/mha.h5" 2>/dev/null || echo 0)
        if [[ $RC != 0 || $base == 0 ]]; then
            fail "2a.diskfull setup" "a 1-step run on a normal disk exited $RC: $(errline)"
        else
            room=$(( (base + 4095) / 4096 * 4096 + 40960 ))
            fallocate -l $(( $(free_bytes "$MNT") - room )) "$MNT/filler"
            file="$MNT/tiny/mha.h5"
            run_cmd 90 "$BIN" run tiny --run mha "${DSET[@]}" --set train.steps=3000 --results "$MNT"
            echo "  2a: $(free_bytes "$MNT") bytes free after the run; free space before it was $room (a 1-step file is $base bytes)"
            if [[ $RC != 0 && -z "$(abnormal)" ]]; then
                pass "2a.diskfull mid-run exit" "rc $RC in ${SECS}s"
            else
                fail "2a.diskfull mid-run exit" "expected a non-zero exit without a crash; got rc $RC in ${SECS}s $(abnormal)"
            fi
            if nospace_message "$file"; then pass "2a.diskfull mid-run message" "$(errline)"
            else fail "2a.diskfull mid-run message" "stderr does not name $file and 'no space': $(errline)"; fi
            if [[ -e "$file" ]]; then
                st=$(h5 status "$file"); stok=$?
                [[ $stok == 0 && "$st" != finished ]]; check $? "2a.diskfull mid-run status" "/status is '$st' (must not be finished)"
                o=$(h5 open "$file"); check $? "2a.diskfull mid-run h5py-open" "$o"
                o=$(h5 curves "$file"); check $? "2a.diskfull mid-run rows" "$o"
            else
                pass "2a.diskfull mid-run status" "no file left behind"
            fi
        fi
        # (b) At start: the disk is full before the run begins; even creating the file fails.
        rm -rf "${MNT:?}"/*
        BSET=(--set train.threads=1 --set train.steps=20)
        fallocate -l "$(free_bytes "$MNT")" "$MNT/filler" 2>/dev/null
        echo "  2b: $(free_bytes "$MNT") bytes free before the run"
        file="$MNT/tiny/mha.h5"
        run_cmd 30 "$BIN" run tiny --run mha "${BSET[@]}" --results "$MNT"
        if [[ $RC != 0 && -z "$(abnormal)" ]]; then pass "2b.diskfull at-start exit" "rc $RC in ${SECS}s"
        else fail "2b.diskfull at-start exit" "expected a non-zero exit without a crash; got rc $RC in ${SECS}s $(abnormal)"; fi
        if nospace_message "$file"; then pass "2b.diskfull at-start message" "$(errline)"
        else fail "2b.diskfull at-start message" "stderr does not name $file and 'no space': $(errline)"; fi
        left="no file left"; [[ -e "$file" ]] && left="left $(stat -c %s "$file")-byte $file"
        run_cmd 20 "$BIN" run tiny --run mha "${BSET[@]}" --results "$MNT" --resume "$file"
        a=$(abnormal); [[ -z "$a" ]]; check $? "2b.diskfull at-start resume" "$left; --resume rc $RC in ${SECS}s ${a}: $(errline)"
        run_cmd 20 "$BIN" summary tiny --results "$MNT"
        a=$(abnormal); [[ -z "$a" ]]; check $? "2b.diskfull at-start summary" "summary rc $RC in ${SECS}s ${a}: $(errline)"
        rm -f "$MNT/filler"
        run_cmd 60 "$BIN" run tiny --run mha "${BSET[@]}" --results "$MNT"
        if [[ $RC == 0 ]]; then
            st=$(h5 status "$file"); [[ "$st" == finished ]]; check $? "2b.diskfull rerun" "after freeing space the same command succeeds (rc 0, ${SECS}s, status $st)"
        else
            fail "2b.diskfull rerun" "after freeing space the same command exits $RC in ${SECS}s ($left by the failed start): $(errline)"
        fi
        umount "$MNT" && MNT=""
    fi
    echo "group 2 took $(elapsed "$t2") s"
fi

# ---------------------------------------------------------------------------------------------
# 3. Concurrent writers
# ---------------------------------------------------------------------------------------------
if want 3; then
    section "3. concurrent writers: --resume, --overwrite and sweep against a live run"
    t3=$EPOCHREALTIME
    CSTEPS=3000
    CSET=(--set train.threads=1 --set train.steps=$CSTEPS --set log.checkpoint_every=100 --set log.flush_seconds=0.2)
    cdir="$W/concurrent"
    cfile="$cdir/tiny/mha.h5"
    mkdir -p "$cdir"
    "$BIN" run tiny --run mha "${CSET[@]}" --results "$cdir" >"$W/first.out" 2>"$W/first.err" </dev/null &
    first=$!
    BG_PIDS+=("$first")
    host=$(hostname)
    # Wait (at most 20 s) until the run has flushed a checkpoint, so --resume has something to take.
    for _ in $(seq 200); do
        ck=$(h5 info "$cfile" 2>/dev/null | sed -n 's/.*"checkpoint_step": \([0-9]*\).*/\1/p')
        [[ -n "$ck" ]] && break
        kill -0 "$first" 2>/dev/null || break
        sleep 0.1
    done
    inode=$(stat -c %i "$cfile" 2>/dev/null || echo none)
    echo "  first run: pid $first on host $host, file $cfile (inode $inode), checkpoint at step ${ck:-none}"
    contender() {  # NAME CMD...
        local name=$1; shift
        if ! kill -0 "$first" 2>/dev/null; then
            fail "$name" "the first run is no longer running (it ended before this check; suite timing)"
            return
        fi
        run_cmd 6 "$@"
        local text msg; text=$(alltext); msg=$(errline)
        local problems=()
        case $RC in
            0) problems+=("exit 0: it ran instead of refusing") ;;
            124|137) problems+=("not refused: still running after ${SECS}s, stopped by the suite's timeout") ;;
            *) [[ -n "$(abnormal)" ]] && problems+=("$(abnormal)")
               awk -v s="$SECS" 'BEGIN { exit !(s <= 5) }' || problems+=("took ${SECS}s") ;;
        esac
        grep -q -w "$first" <<< "$text" || problems+=("no holder pid $first")
        grep -q -F "$host" <<< "$text" || problems+=("no host $host")
        if (( ${#problems[@]} == 0 )); then
            pass "$name" "refused in ${SECS}s, rc $RC: $msg"
        else
            fail "$name" "expected a quick refusal naming pid $first and host $host; got rc $RC in ${SECS}s [$(join "${problems[@]}")]: $msg"
        fi
    }
    # Least destructive first: a contender that is not refused changes what the next one meets.
    contender "3.concurrent sweep" "$BIN" sweep tiny --jobs 1 "${CSET[@]}" --results "$cdir"
    contender "3.concurrent resume" "$BIN" run tiny --run mha "${CSET[@]}" --results "$cdir" --resume "$cfile"
    contender "3.concurrent overwrite" "$BIN" run tiny --run mha "${CSET[@]}" --results "$cdir" --overwrite
    reap_strays_except "$first"
    # The first run must finish, and the file at its path must be its own, one row per step.
    t=$EPOCHREALTIME
    while kill -0 "$first" 2>/dev/null && awk -v s="$(elapsed "$t")" 'BEGIN { exit !(s < 60) }'; do sleep 0.2; done
    kill -KILL "$first" 2>/dev/null
    wait "$first"; frc=$?
    now_inode=$(stat -c %i "$cfile" 2>/dev/null || echo none)
    cons=$(h5 consistent "$cfile" "$CSTEPS"); cok=$?
    if [[ $frc == 0 && $cok == 0 && "$now_inode" == "$inode" ]]; then
        pass "3.concurrent first-run" "exit 0; $cons"
    else
        same="same file"; [[ "$now_inode" != "$inode" ]] && same="the file at the path was replaced (inode $inode -> $now_inode)"
        ferr=""; [[ $frc != 0 ]] && ferr=" ($(grep -m1 -i -E 'error|crash' "$W/first.err" | head -c 160))"
        fail "3.concurrent first-run" "first run exit ${frc}${ferr}; $same; $cons"
    fi
    echo "group 3 took $(elapsed "$t3") s"
fi

# ---------------------------------------------------------------------------------------------
# 4. Damaged files against every command that reads run files
# ---------------------------------------------------------------------------------------------
if want 4; then
    section "4. damaged run files (truncated, bit-flipped) against inspect, eval, generate, summary, report, resume, sweep"
    t4=$EPOCHREALTIME
    # A killed source: SIGKILL just after step 110 is printed (checkpoint at step 100 on disk).
    kdir="$W/dmg-src"
    mkdir -p "$kdir"
    KILL_LINE="mha step 110/" h5 killrun line 0 "$kdir/tiny/mha.h5" "$kdir/run.log" -- \
        "$BIN" run tiny --run mha "${KSET[@]}" --set log.every=10 --results "$kdir" >/dev/null
    ksrc="$kdir/tiny/mha.h5"
    kinfo=$(h5 info "$ksrc")
    echo "  killed source: $kinfo"
    sources=("finished:$REF_FILE")
    if [[ "$kinfo" == *'"checkpoint_step": 100'* || "$kinfo" == *'"checkpoint_step": 80'* ]]; then
        sources+=("killed:$ksrc")
    else
        fail "4.damaged setup" "could not make a killed run file with a checkpoint: $kinfo"
    fi
    modes=(head4096 half minus1 minus1k flip-head flip-any)
    CMDS=(inspect eval generate summary report resume sweep)
    n=0
    for s in "${sources[@]}"; do
        kind=${s%%:*}; src=${s#*:}
        for m in "${modes[@]}"; do
            n=$((n + 1))
            id="$kind-$m"
            dd="$W/dmg/$id"
            mkdir -p "$dd"
            desc=$(h5 damage "$src" "$dd/damaged.h5" "$m" $((SEED * 100 + n)))
            truncated=0; [[ $m != flip-* ]] && truncated=1
            echo "  $id: $desc"
            # The seven commands run at the same time (a hang costs its timeout once per file,
            # not seven times), each on its own copy of a results folder of the experiment: the
            # three other runs finished, mha damaged.
            pids=()
            for cmd in "${CMDS[@]}"; do
                R="$dd/$cmd/results"
                mkdir -p "$R/tiny"
                cp "$REF/tiny/gqa.h5" "$REF/tiny/mqa.h5" "$REF/tiny/mla.h5" "$R/tiny/"
                cp "$dd/damaged.h5" "$R/tiny/mha.h5"
                P="$R/tiny/mha.h5"
                (
                    OUTP="$dd/$cmd/cmd"
                    case $cmd in
                        inspect) run_cmd 20 "$BIN" inspect "$P" ;;
                        eval) run_cmd 20 "$BIN" eval "$P" --tokens 2048 ;;
                        generate) run_cmd 20 "$BIN" generate --checkpoint "$P" --prompt x --max-new-tokens 2 ;;
                        summary) run_cmd 20 "$BIN" summary tiny --results "$R" ;;
                        report) run_cmd 20 "$BIN" report tiny --results "$R" ;;
                        resume) run_cmd 20 "$BIN" run tiny --run mha "${KSET[@]}" --results "$R" --resume "$P" ;;
                        sweep) run_cmd 60 "$BIN" sweep tiny --jobs 1 "${KSET[@]}" --results "$R" ;;
                    esac
                    echo "$RC $SECS" > "$OUTP.res"
                ) &
                pids+=($!)
                BG_PIDS+=($!)
            done
            wait "${pids[@]}"
            reap_strays
            for cmd in "${CMDS[@]}"; do
                R="$dd/$cmd/results"
                OUTP="$dd/$cmd/cmd"
                read -r RC SECS < "$OUTP.res"
                problems=()
                a=$(abnormal); [[ -n "$a" ]] && problems+=("$a")
                # A hang shows as the run_cmd timeout; the limit catches commands that get slow.
                # sweep retrains the damaged run (training plus its whole-split final evaluation)
                # beside the six other commands, so it gets 30 s; every other command 10 s.
                limit=10; [[ $cmd == sweep ]] && limit=30
                [[ -z "$a" ]] && ! awk -v s="$SECS" -v l="$limit" 'BEGIN { exit !(s <= l) }' && problems+=("took ${SECS}s (> $limit s)")
                # Errors and warnings go to stderr; a sweep reports on stdout.
                if [[ $cmd == sweep ]]; then text=$(alltext); else text=$(errtext); fi
                named=0; grep -q -F "mha.h5" <<< "$text" && named=1
                # Where the command cannot use the file, the error names it.
                (( RC != 0 && named == 0 )) && [[ -z "$a" ]] && problems+=("exit $RC without naming the damaged file")
                [[ -n "$a" ]] && cmd="$cmd (hung or crashed; nothing else checked)"
                case $cmd in
                    inspect|eval|generate|resume)
                        # A truncated file is always damaged: it must be reported, not accepted.
                        (( truncated && RC == 0 )) && problems+=("truncated file accepted (exit 0)")
                        ;;
                    summary|report)
                        (( truncated && named == 0 )) && [[ -z "$a" ]] && problems+=("truncated file not reported")
                        # With one bad file the rest of the folder is still handled.
                        if (( truncated || RC != 0 )); then
                            out="$R/tiny/summary.md"; [[ $cmd == report ]] && out="$R/tiny.md"
                            if [[ ! -s "$out" ]]; then problems+=("no $(basename "$out") for the other runs")
                            else for r in gqa mqa mla; do grep -q -w "$r" "$out" || problems+=("$r missing from $(basename "$out")"); done; fi
                        fi
                        ;;
                    sweep)
                        (( truncated && named == 0 )) && [[ -z "$a" ]] && problems+=("truncated file not reported")
                        for r in gqa mqa mla; do
                            grep -q -E "^ +$r +skip" <<< "$text" || problems+=("$r not planned as skip")
                        done
                        ;;
                esac
                line="rc $RC in ${SECS}s: $(errline)"
                [[ $RC == 0 ]] && line="rc 0 in ${SECS}s"
                if (( ${#problems[@]} == 0 )); then
                    pass "4.damaged $id ${cmd%% *}" "$line"
                else
                    fail "4.damaged $id ${cmd%% *}" "[$(join "${problems[@]}")] $line"
                fi
            done
            OUTP=""
            [[ "${FAULT_KEEP:-0}" == 1 ]] || rm -rf "$dd"
        done
    done
    echo "group 4 took $(elapsed "$t4") s"
fi

# ---------------------------------------------------------------------------------------------
# 5. Config fuzz through `attnlab show`
# ---------------------------------------------------------------------------------------------
if want 5; then
    section "5. config fuzz: seeded mutations of experiments/tiny.toml and --set values through attnlab show"
    t5=$EPOCHREALTIME
    FUZZ_N=${FAULT_FUZZ_CASES:-50}
    h5 fuzzcases "$SEED" "$FUZZ_N" "$ROOT/experiments" "$W/fuzz"
    for d in "$W"/fuzz/*/; do
        d=${d%/}; i=$(basename "$d")
        desc=$(<"$d/desc")
        mapfile -t extra < "$d/args"
        run_cmd 10 "$BIN" show tiny --experiments "$d/experiments" "${extra[@]}"
        a=$(abnormal)
        if [[ -n "$a" ]]; then
            fail "5.fuzz #$i" "$desc -> $a: $(errline)"
            continue
        fi
        if [[ $RC == 0 ]]; then
            pass "5.fuzz #$i" "$desc -> accepted (rc 0, ${SECS}s)"
            continue
        fi
        found=0
        while IFS= read -r name; do
            [[ -n "$name" ]] && grep -q -F -- "$name" "$W/last.err" && { found=1; break; }
        done < "$d/names"
        msg=$(errline)
        if (( found )); then
            pass "5.fuzz #$i" "$desc -> rc $RC: $msg"
        else
            fail "5.fuzz #$i" "$desc -> rc $RC, the message names neither the file nor the key: $msg"
        fi
    done
    echo "group 5 took $(elapsed "$t5") s"
fi

echo
echo "fault-injection: seed $SEED, wall time $(elapsed "$SUITE_START") s"
echo "$PASSED passed, $FAILED failed"
(( FAILED == 0 ))
