#!/usr/bin/env python3
"""Helpers for scripts/fault-injection.sh: launching and killing runs at chosen moments, reading
run files with h5py, comparing them bit for bit, damaging copies and generating config mutations.

Every subcommand prints one short line describing what it saw (the shell script quotes it in the
check's PASS/FAIL line) and exits 0 when the property holds, 1 when it does not, 2 on misuse.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import h5py
import numpy as np

TRAIN_COMPARED = ["step", "loss", "lr", "grad_norm"]  # deterministic columns (timing ones are not)


def say(msg, ok=True):
    print(msg)
    sys.exit(0 if ok else 1)


def open_any(path):
    """Opens like the README says: plain read, else SWMR read (live or killed runs)."""
    try:
        return h5py.File(path, "r"), "plain"
    except OSError:
        return h5py.File(path, "r", swmr=True), "swmr"


# ---------------------------------------------------------------------------------------------
# killrun: start a command, SIGKILL it at a chosen moment

def cmd_killrun(args):
    """killrun MODE DELAY FILE LOG -- CMD...

    MODE appear: kill DELAY seconds after FILE first exists (polled every 0.2 ms).
    MODE time:   kill DELAY seconds after the start.
    MODE line:   kill DELAY seconds after stderr shows a line containing $KILL_LINE.
    Prints one JSON line: what happened (killed or exited on its own, file present, times)."""
    mode, delay, path, log = args[0], float(args[1]), args[2], args[3]
    assert args[4] == "--"
    cmd = args[5:]
    needle = os.environ.get("KILL_LINE", "")
    deadline = 60.0
    with open(log, "wb") as logf:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.PIPE)
        seen = threading.Event()
        seen_at = [None]

        def pump():
            for line in iter(p.stderr.readline, b""):
                logf.write(line)
                logf.flush()
                if needle and not seen.is_set() and needle.encode() in line:
                    seen_at[0] = time.monotonic() - start
                    seen.set()

        t = threading.Thread(target=pump, daemon=True)
        t.start()
        trigger = None
        while p.poll() is None and time.monotonic() - start < deadline:
            now = time.monotonic() - start
            if mode == "appear" and os.path.exists(path):
                trigger = now
                break
            if mode == "time":
                trigger = 0.0
                break
            if mode == "line" and seen.is_set():
                trigger = seen_at[0]
                break
            time.sleep(0.0002)
        killed = False
        if trigger is not None:
            while p.poll() is None and time.monotonic() - start < trigger + delay:
                time.sleep(0.0002)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                killed = True
        elif p.poll() is None:  # deadline passed: never leave a process behind
            p.send_signal(signal.SIGKILL)
            killed = True
        rc = p.wait()
        at = time.monotonic() - start
        t.join(timeout=2)
    print(json.dumps({"killed": killed, "rc": rc, "at_s": round(at, 4), "trigger_s": trigger,
                      "file_exists": os.path.exists(path)}))


# ---------------------------------------------------------------------------------------------
# file checks

def cmd_open(args):
    """open FILE: h5py opens it with swmr=True; a plain open may fail only because the file is
    marked open for write."""
    path = args[0]
    try:
        with h5py.File(path, "r", swmr=True) as f:
            status = f["status"].asstr()[()]
            n = len(f["train/step"])
    except Exception as e:  # noqa: BLE001 - any failure is the finding
        say(f"h5py.File(swmr=True) failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}", False)
    try:
        with h5py.File(path, "r") as f:
            plain = "plain open ok"
    except OSError as e:
        msg = str(e)
        if "open for write" in msg or "already open" in msg:
            plain = "plain open refused: marked open-for-write (allowed)"
        else:
            say(f"swmr open ok but plain open failed for another reason: {msg.splitlines()[0][:200]}", False)
    say(f"status {status}, {n} train rows; {plain}")


def cmd_info(args):
    """info FILE: JSON with status, checkpoint step (null when none), rows; exit 1 if unreadable."""
    try:
        f, how = open_any(args[0])
        with f:
            meta = f["checkpoint/meta"][:]
            info = {"status": f["status"].asstr()[()], "open": how,
                    "checkpoint_step": int(meta[1]) if meta[0] >= 0 else None,
                    "train_rows": int(len(f["train/step"])), "eval_rows": int(len(f["eval/step"]))}
    except Exception as e:  # noqa: BLE001
        say(json.dumps({"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}), False)
    say(json.dumps(info))


def checkpoint_arrays(f):
    meta = f["checkpoint/meta"][:]
    if meta[0] < 0:
        return meta, None
    slot = f[f"checkpoint/slot{int(meta[0])}"]
    arrays = {}
    for part in ("params", "adam_m", "adam_v"):
        for name, d in slot[part].items():
            arrays[f"{part}/{name}"] = d[:]
    return meta, arrays


def cmd_compare(args):
    """compare REF FILE: curves (train step/loss/lr/grad_norm, every eval column, every
    /diagnostics dataset when the reference has them) and the final checkpoint (meta, weights,
    Adam moments) are bit-identical; FILE is finished."""
    ref, got = args[0], args[1]
    fr, _ = open_any(ref)
    try:
        fg, _ = open_any(got)
    except Exception as e:  # noqa: BLE001
        say(f"cannot open {got}: {str(e).splitlines()[0][:200]}", False)
    problems = []
    with fr, fg:
        sg = fg["status"].asstr()[()]
        if sg != "finished":
            problems.append(f"status {sg!r}")
        cols = [("train", c) for c in TRAIN_COMPARED] + [("eval", c) for c in sorted(fr["eval"].keys())]
        if "diagnostics" in fr:  # every dataset of the optional stability diagnostics, spikes included
            names = []
            fr["diagnostics"].visit(lambda n: names.append(n) if isinstance(fr["diagnostics"][n], h5py.Dataset) else None)
            cols += [("diagnostics", c) for c in sorted(names)]
        for group, c in cols:
            a = fr[f"{group}/{c}"][:]
            if f"{group}/{c}" not in fg:
                problems.append(f"{group}/{c} missing")
                continue
            b = fg[f"{group}/{c}"][:]
            if a.shape != b.shape:
                problems.append(f"{group}/{c}: {b.shape[0]} rows, reference {a.shape[0]}")
            elif a.tobytes() != b.tobytes():
                rows = (a.view(np.uint8).reshape(len(a), -1) != b.view(np.uint8).reshape(len(b), -1)).any(axis=1)
                i = int(np.nonzero(rows)[0][0])
                problems.append(f"{group}/{c} differs (first at row {i}: {b[i].tolist()!r} vs reference {a[i].tolist()!r})")
        mr, ar = checkpoint_arrays(fr)
        mg, ag = checkpoint_arrays(fg)
        if ag is None:
            problems.append("no checkpoint")
        else:
            if mr[1:].tobytes() != mg[1:].tobytes():
                problems.append(f"checkpoint meta {mg.tolist()} vs reference {mr.tolist()}")
            diff = [k for k in ar if k not in ag or ar[k].tobytes() != ag[k].tobytes()]
            if diff:
                problems.append(f"{len(diff)} checkpoint tensors differ, e.g. {diff[0]}")
    if problems:
        say("not bit-identical to the reference: " + "; ".join(problems[:4]), False)
    say("bit-identical to the reference (curves, eval, checkpoint)")


def cmd_curves(args):
    """curves FILE: every stored row is real: train/step is 1, 2, ... and loss > 0 in each row,
    all /train columns the same length. Prints status too."""
    try:
        f, how = open_any(args[0])
    except Exception as e:  # noqa: BLE001
        say(f"does not open: {str(e).splitlines()[0][:200]}", False)
    with f:
        status = f["status"].asstr()[()]
        steps = f["train/step"][:]
        loss = f["train/loss"][:]
        lengths = {k: len(d) for k, d in f["train"].items()}
    problems = []
    if len(set(lengths.values())) > 1:
        problems.append(f"train columns of unequal length {lengths}")
    n = min(len(steps), len(loss))
    bad_steps = np.nonzero(steps[:n] != np.arange(1, n + 1))[0]
    if len(bad_steps):
        i = int(bad_steps[0])
        problems.append(f"train/step row {i} is {int(steps[i])}, expected {i + 1} ({len(bad_steps)} bad rows)")
    bad_loss = np.nonzero(~(loss[:n] > 0))[0]
    if len(bad_loss):
        problems.append(f"{len(bad_loss)} rows with loss <= 0 or NaN (first row {int(bad_loss[0])})")
    desc = f"status {status!r}, {len(steps)} train rows (opened {how})"
    if problems:
        say(desc + "; " + "; ".join(problems), False)
    say(desc + "; rows consecutive from 1, loss > 0")


def cmd_consistent(args):
    """consistent FILE STEPS: a finished run with exactly one row per step 1..STEPS."""
    path, steps = args[0], int(args[1])
    try:
        f, _ = open_any(path)
    except Exception as e:  # noqa: BLE001
        say(f"does not open: {str(e).splitlines()[0][:200]}", False)
    with f:
        status = f["status"].asstr()[()]
        s = f["train/step"][:]
        lengths = {k: len(d) for k, d in f["train"].items()}
    problems = []
    if status != "finished":
        problems.append(f"status {status!r}")
    if len(s) != steps or not np.array_equal(s, np.arange(1, steps + 1)):
        inc = bool(np.all(np.diff(s) > 0)) if len(s) > 1 else True
        problems.append(f"{len(s)} train rows for {steps} steps (strictly increasing: {inc})")
    if len(set(lengths.values())) > 1:
        problems.append(f"train columns of unequal length {lengths}")
    if problems:
        say("; ".join(problems), False)
    say(f"finished, train/step = 1..{steps}, one row per step")


def cmd_status(args):
    try:
        f, _ = open_any(args[0])
        with f:
            say(f["status"].asstr()[()])
    except Exception as e:  # noqa: BLE001
        say(f"unreadable: {str(e).splitlines()[0][:120]}", False)


# ---------------------------------------------------------------------------------------------
# damage: truncated and bit-flipped copies

def cmd_damage(args):
    """damage SRC DST MODE SEED. MODE: head4096, half, minus1, minus1k, flip-head, flip-any."""
    src, dst, mode, seed = args[0], args[1], args[2], int(args[3])
    data = bytearray(open(src, "rb").read())
    n = len(data)
    rng = random.Random(seed)
    if mode == "head4096":
        data = data[:4096]
    elif mode == "half":
        data = data[: n // 2]
    elif mode == "minus1":
        data = data[: n - 1]
    elif mode == "minus1k":
        data = data[: n - 1024]
    elif mode in ("flip-head", "flip-any"):
        if mode == "flip-head":  # the superblock and the first object headers
            positions = sorted(rng.sample(range(0, 2048), 3))
        else:  # anywhere, one of them in the first 2 KiB
            positions = sorted([rng.randrange(0, 2048)] + rng.sample(range(2048, n), 4))
        flips = []
        for p in positions:
            bit = rng.randrange(8)
            data[p] ^= 1 << bit
            flips.append(f"{p}:{bit}")
        mode += "@" + ",".join(flips)
    else:
        say(f"unknown damage mode {mode}", False)
    with open(dst, "wb") as out:
        out.write(data)
    # Superblock v2/v3 (the newest format): end-of-file address at bytes 28..36. A cut below it
    # removes bytes the file itself says it holds, so the copy is damaged, not just shorter.
    eof = ""
    if len(data) >= 48 and data[:8] == b"\x89HDF\r\n\x1a\n" and data[8] in (2, 3):
        eof = f", stored end of file {int.from_bytes(data[28:36], 'little')}"
    print(f"{mode} ({n} -> {len(data)} bytes{eof})")


# ---------------------------------------------------------------------------------------------
# config fuzz cases

# Every leaf key of experiments/README.md.
ALL_KEYS = [
    "description", "base",
    "model.vocab_size", "model.d_model", "model.n_layers", "model.mlp_hidden", "model.max_seq_len", "model.rope_base",
    "model.rope_style", "model.tie_embeddings", "model.norm_eps",
    "model.attention.kind", "model.attention.n_heads", "model.attention.n_kv_heads", "model.attention.head_dim",
    "model.attention.kv_lora_rank", "model.attention.q_lora_rank", "model.attention.qk_nope_head_dim",
    "model.attention.qk_rope_head_dim", "model.attention.v_head_dim", "model.attention.query_compression",
    "data.source", "data.path", "data.tokenizer", "data.token_format", "data.val_fraction", "data.seq_len",
    "data.mqar.vocab", "data.mqar.seq_len", "data.mqar.num_kv_pairs", "data.mqar.train_examples", "data.mqar.val_examples",
    "train.steps", "train.batch_size", "train.grad_accum", "train.seed", "train.threads",
    "optimizer.lr", "optimizer.beta1", "optimizer.beta2", "optimizer.eps", "optimizer.weight_decay",
    "optimizer.clip_grad_norm", "optimizer.decay_norms_and_biases",
    "schedule.warmup_steps", "schedule.min_lr_ratio", "schedule.kind",
    "eval.every", "eval.windows",
    "log.every", "log.flush_seconds", "log.checkpoint_every", "log.save_weights", "log.diagnostics",
]
INT_KEYS = [
    "model.vocab_size", "model.d_model", "model.n_layers", "model.mlp_hidden", "model.max_seq_len",
    "model.attention.n_heads", "model.attention.n_kv_heads", "model.attention.head_dim", "model.attention.kv_lora_rank",
    "model.attention.q_lora_rank", "model.attention.qk_nope_head_dim", "model.attention.qk_rope_head_dim",
    "model.attention.v_head_dim", "data.seq_len", "data.mqar.vocab", "data.mqar.seq_len", "data.mqar.num_kv_pairs",
    "data.mqar.train_examples", "data.mqar.val_examples", "train.steps", "train.batch_size", "train.grad_accum",
    "train.seed", "train.threads", "schedule.warmup_steps", "eval.every", "eval.windows", "log.every",
    "log.checkpoint_every",
]
# Boundary integers (overflow in products and sums of dimensions) and numbers at the edges.
BOUNDARY_VALUES = [
    "9223372036854775807", "4611686018427387904", "3037000500", "4294967296", "2147483648", "-1", "0",
    "-9223372036854775808", "1e308", "5e-324", "-0.0",
]
BAD_VALUES = [
    "9223372036854775808", "99999999999999999999", "1e400", "-1e400", "nan", "inf", "-inf", "1.5", "true", '""',
    '"abc"', '"\\u0000"', "[]", "[1, 2]", "{}", "{ a = 1 }", "1979-05-27T07:32:00Z", '"' + "x" * 5000 + '"',
    "0x7fffffffffffffff", "1_000_000_000_000", "[" * 2000 + "]" * 2000,
]
BOUNDARY_INTS = ["9223372036854775807", "4611686018427387904", "3037000500", "4294967296", "2147483648", "-1", "0",
                 "-9223372036854775808"]
SET_EXTRA_VALUES = ["", "=", "mha", "data/x.bin", "\u00e9", "[[[[[[[[", "{", '"unterminated']


def pick_value(rng, for_set=False):
    pool = BOUNDARY_VALUES if rng.random() < 0.5 else BAD_VALUES + (SET_EXTRA_VALUES if for_set else [])
    return rng.choice(pool)


def toml_keys(text):
    """(line index, dotted key) of every `key = value` line of a simple TOML file."""
    keys, table = [], ""
    for i, line in enumerate(text.splitlines()):
        s = line.strip()
        if s.startswith("[") and not s.startswith("[["):
            table = s.strip("[]").strip()
        elif "=" in s and not s.startswith("#"):
            k = s.split("=", 1)[0].strip()
            keys.append((i, f"{table}.{k}" if table else k))
    return keys


def cmd_fuzzcases(args):
    """fuzzcases SEED N EXPERIMENTS_DIR OUT: writes OUT/NN/{experiments/*.toml, args, desc, names}.
    `args` holds extra command-line arguments (one per line); `names` holds strings of which the
    error message must contain at least one when `show` fails."""
    seed, count, src, out = int(args[0]), int(args[1]), args[2], args[3]
    rng = random.Random(seed)
    base_text = open(os.path.join(src, "tiny.toml"), encoding="utf-8").read()
    keys = toml_keys(base_text)
    present_tables = {k.rsplit(".", 1)[0] for _, k in keys if "." in k}
    addable = [k for k in ALL_KEYS if "." in k and k.rsplit(".", 1)[0] in ("optimizer", "data.mqar")
               and k.rsplit(".", 1)[0] not in present_tables]
    # kind: weight
    kinds = {"value": 6, "add": 3, "set": 6, "set2": 4, "delete": 1, "duplicate": 1, "truncate": 1, "garbage": 2,
             "rename": 1, "base": 1}
    bag = [k for k, w in kinds.items() for _ in range(w)]
    # Fixed cases first: crashes earlier fuzzing found (other seeds), kept so every seed checks them.
    regressions = [
        ("--set model.attention.qk_nope_head_dim=9223372036854775807 (overflow)", None,
         ["--set", "model.attention.qk_nope_head_dim=9223372036854775807"], "model.attention.qk_nope_head_dim"),
        ("--set data.source=mqar --set data.mqar.num_kv_pairs=9223372036854775807 (overflow)", None,
         ["--set", "data.source=mqar", "--set", "data.mqar.num_kv_pairs=9223372036854775807"], "data.mqar.num_kv_pairs"),
        ("table header [[[model.attention] (TOML parser assertion)", ("[model.attention]", "[[[model.attention]"), [], None),
    ]
    for j, (desc, edit, extra, key) in enumerate(regressions, 1):
        d = os.path.join(out, f"r{j}")
        os.makedirs(os.path.join(d, "experiments"))
        shutil.copy(os.path.join(src, "quickstart.toml"), os.path.join(d, "experiments", "quickstart.toml"))
        text = base_text.replace(*edit, 1) if edit else base_text
        with open(os.path.join(d, "experiments", "tiny.toml"), "w", encoding="utf-8") as fh:
            fh.write(text)
        with open(os.path.join(d, "args"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(extra) + ("\n" if extra else ""))
        with open(os.path.join(d, "desc"), "w", encoding="utf-8") as fh:
            fh.write(desc + "\n")
        with open(os.path.join(d, "names"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(["tiny.toml", "quickstart.toml"] + ([key, "--set"] if key else [])) + "\n")
    for i in range(count):
        d = os.path.join(out, f"{i:02d}")
        os.makedirs(os.path.join(d, "experiments"))
        shutil.copy(os.path.join(src, "quickstart.toml"), os.path.join(d, "experiments", "quickstart.toml"))
        lines = base_text.splitlines()
        extra, names = [], ["tiny.toml", "quickstart.toml"]
        kind = rng.choice(bag)
        if kind == "value":
            li, key = keys[rng.randrange(len(keys))]
            v = pick_value(rng)
            lines[li] = lines[li].split("=", 1)[0] + "= " + v
            desc = f"{key} = {v[:40]}"
            names.append(key)
        elif kind == "add":
            key = rng.choice(addable)
            v = pick_value(rng)
            table, leaf = key.rsplit(".", 1)
            lines += ["", f"[{table}]", f"{leaf} = {v}"]
            desc = f"add [{table}] {leaf} = {v[:40]}"
            names.append(key)
        elif kind == "delete":
            li, key = keys[rng.randrange(len(keys))]
            del lines[li]
            desc = f"delete {key}"
            names.append(key)
        elif kind == "duplicate":
            li, key = keys[rng.randrange(len(keys))]
            lines.insert(li + 1, lines[li])
            desc = f"duplicate {key}"
            names.append(key.split(".")[-1])
        elif kind == "truncate":
            text = "\n".join(lines)
            cut = rng.randrange(1, len(text))
            lines = [text[:cut]]
            desc = f"truncate at byte {cut}"
        elif kind == "garbage":
            text = "\n".join(lines).encode()
            pos = rng.randrange(len(text))
            junk = rng.choice([b"\xff\xfe", b"\x00", b"[[", b"=", b'"', b"\xc3", "\u202e".encode(),
                               bytes(rng.randrange(256) for _ in range(8))])
            with open(os.path.join(d, "experiments", "tiny.toml"), "wb") as fh:
                fh.write(text[:pos] + junk + text[pos:])
            desc = f"insert {junk!r} at byte {pos}"
        elif kind == "rename":
            li, key = keys[rng.randrange(len(keys))]
            k, v = lines[li].split("=", 1)
            newk = k.strip() + rng.choice(["x", "_", "\u03a9", " .a", ".b"])
            lines[li] = f"{newk} ={v}"
            desc = f"rename key {key} -> {newk}"
            names.append(newk.strip().split(".")[-1].strip())
        elif kind == "base":
            choice = rng.choice(['"tiny"', '"nosuch"', '"../quickstart"', '""', "1"])
            lines = [ln for ln in lines if not ln.startswith("base")]
            lines.insert(0, f"base = {choice}")
            desc = f"base = {choice}"
            names.append("base")
        else:  # one to three --set overrides, integer keys at boundary values more often than not
            descs = []
            for _ in range(1 if kind == "set" else rng.randrange(2, 4)):
                if rng.random() < 0.6:
                    key, v = rng.choice(INT_KEYS), rng.choice(BOUNDARY_INTS)
                else:
                    key = rng.choice(ALL_KEYS + ["model.nosuch", "model", "train.steps.x", "", ".", "model..d_model"])
                    v = pick_value(rng, for_set=True)
                extra += ["--set", f"{key}={v}"]
                descs.append(f"--set {key}={v[:40]}")
                names += [key] if key else []
            if rng.random() < 0.4:  # MQAR's cross-checks only apply to MQAR runs
                extra += ["--set", "data.source=mqar"]
                descs.append("--set data.source=mqar")
            names.append("--set")
            desc = " ".join(descs)
        if kind != "garbage":
            with open(os.path.join(d, "experiments", "tiny.toml"), "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
        with open(os.path.join(d, "args"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(extra) + ("\n" if extra else ""))
        with open(os.path.join(d, "desc"), "w", encoding="utf-8") as fh:
            fh.write(desc.replace("\n", " ") + "\n")
        with open(os.path.join(d, "names"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(n for n in names if n) + "\n")


COMMANDS = {
    "killrun": cmd_killrun, "open": cmd_open, "info": cmd_info, "compare": cmd_compare, "curves": cmd_curves,
    "consistent": cmd_consistent, "status": cmd_status, "damage": cmd_damage, "fuzzcases": cmd_fuzzcases,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} ARGS...", file=sys.stderr)
        sys.exit(2)
    COMMANDS[sys.argv[1]](sys.argv[2:])
