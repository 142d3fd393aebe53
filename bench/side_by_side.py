"""AttnLab against its PyTorch twin (bench/pytorch_reference.py), side by side in one run:

    python3 bench/side_by_side.py [--quick] [--rounds 3] [--steps 5] [--no-build] [--no-check]
                                  [--no-decode] [--no-train] [--restart] [--out bench/side-by-side]
    make bench            # the same as the first line without options; `make bench-quick`: --quick

Training: every distinct config of `experiments/bench-grid.toml`, of `experiments/quickstart.toml`
(the six variants, GTA and GLA included) and of every committed `experiments/ablation-*.toml`
(with --quick: tiny's mha run only), timed by `attnlab bench
--experiment E --run R` and by the twin in eager mode and under torch.compile, round-robin over
--rounds rounds (the order of the three sides rotates each round) so machine noise hits all
three; tokens/s of a side = its tokens over its summed timed step seconds, all rounds together.
Decoding: `attnlab bench decode` at each (batch, context) against the twin with a KV cache (eager),
every variant and latent decoding path of the reference model (with --quick: tiny's models at
small contexts), interleaved the same way; per side the median over rounds of each round's median
step. Before timing, --check (the default) trains the tiny models of every variant a few steps
and checks that the twin, loaded with AttnLab's checkpoint weights, gives AttnLab's logits
(`attnlab eval --dump-logits`), and that the twin's cached decoding equals its full forward.

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment of both sides (AttnLab
then selects its OpenBLAS core itself, `attnlab env`); the run prints which were set. Writes
OUT.json and OUT.md: date, host, CPU, BLAS core, torch version, threads, load average before and
after, and every row with the three sides' tokens/s, the ratios and pass/miss against issue 11's
targets (training: AttnLab >= 1.3x eager and >= 1.1x torch.compile; decoding: faster than the
twin). Rows are saved to OUT.partial.json as they are measured; an interrupted run resumes when
the same command is run again (--restart discards it instead). Needs torch (pip install torch) and h5py for the check; AttnLab itself never needs Python.
"""
import argparse
import datetime
import fcntl
import glob
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
TARGET_EAGER, TARGET_COMPILE, TARGET_DECODE = 1.3, 1.1, 1.0
# A 1-minute load average per core at or above this at the start marks the run as not quiet.
QUIET_LOAD = 0.25
CHECK_TEXT = "The quick brown fox, ove!"
CHECK_RTOL = 1e-4
# The check's models: tiny's six variants plus the settings that change the model's structure.
CHECK_EXPERIMENT = '''base = "tiny"
description = "side-by-side twin check: tiny's variants and structure settings, a few steps"

[data]
source = "file"
path = "{corpus}"

[train]
steps = 3

[schedule]
warmup_steps = 1

[eval]
every = 3
windows = 4
'''
CHECK_VARIANTS = {
    "mha": {"model.attention.kind": "mha"},
    "gqa": {"model.attention.kind": "gqa"},
    "mqa": {"model.attention.kind": "mqa"},
    "mla": {"model.attention.kind": "mla"},
    "gta": {"model.attention.kind": "gta"},
    "gla": {"model.attention.kind": "gla"},
    "mla-always": {"model.attention.kind": "mla", "model.attention.query_compression": "always"},
    "mla-dense-interleaved": {"model.attention.kind": "mla", "model.attention.q_lora_rank": 0, "model.rope_style": "interleaved"},
    "gla-always": {"model.attention.kind": "gla", "model.attention.query_compression": "always"},
    "gta-interleaved": {"model.attention.kind": "gta", "model.rope_style": "interleaved"},
    "mha-untied-eps": {"model.attention.kind": "mha", "model.tie_embeddings": False, "model.norm_eps": 1e-6},
    "mla-latent-eps": {"model.attention.kind": "mla", "model.attention.latent_norm_eps": 1e-3},
}


def fail(message):
    print(f"side-by-side: FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def say(message):
    print(message, flush=True)


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{what}: `{' '.join(cmd)}` exited {p.returncode}: {(p.stderr or p.stdout).strip()[-2000:]}")
    return p.stdout


def toml_value(v):
    return ("true" if v else "false") if isinstance(v, bool) else json.dumps(v)


class AttnLab:
    def __init__(self, binary, scratch):
        self.binary, self.scratch = binary, scratch

    def bench(self, experiment, steps, run_name=None, experiments_dir=None):
        out = os.path.join(self.scratch, "train.json")
        cmd = [self.binary, "bench", "--experiment", experiment, "--steps", str(steps), "--json", out]
        if run_name:
            cmd += ["--run", run_name]
        if experiments_dir:
            cmd += ["--experiments", experiments_dir]
        run(cmd, f"attnlab bench {experiment}{'/' + run_name if run_name else ''}")
        with open(out) as f:
            return json.load(f)

    def decode(self, contexts, batch, steps, experiment=None):
        out = os.path.join(self.scratch, "decode.json")
        cmd = [self.binary, "bench", "decode", "--contexts", ",".join(map(str, contexts)), "--batch", str(batch),
               "--steps", str(steps), "--json", out]
        if experiment:
            cmd += ["--experiment", experiment]
        run(cmd, f"attnlab bench decode (batch {batch}, contexts {contexts})")
        with open(out) as f:
            return json.load(f)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def check_twin(attnlab, pr, torch, scratch):
    """AttnLab's checkpoint weights in the twin give AttnLab's logits; the twin's cached decoding
    (both latent paths) gives its full forward's logits."""
    try:
        import h5py
    except ImportError:
        fail("h5py is missing: pip install h5py (the twin check reads AttnLab's checkpoints with it; or pass --no-check)")

    exp_dir = os.path.join(scratch, "experiments")
    os.makedirs(exp_dir, exist_ok=True)
    for name in ("quickstart", "tiny"):
        shutil.copy(os.path.join(ROOT, "experiments", f"{name}.toml"), exp_dir)
    # A small corpus (this file's docstring, repeated) keeps the runs' final evaluation short.
    corpus = os.path.join(scratch, "corpus.txt")
    with open(corpus, "w") as f:
        f.write(__doc__ * 8)
    text = CHECK_EXPERIMENT.format(corpus=corpus) + "".join(
        f'\n[[variants]]\nname = "{name}"\nset = {{ {", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in keys.items())} }}\n'
        for name, keys in CHECK_VARIANTS.items())
    with open(os.path.join(exp_dir, "twin-check.toml"), "w") as f:
        f.write(text)
    results = os.path.join(scratch, "results")
    run([attnlab.binary, "run", "twin-check", "--experiments", exp_dir, "--results", results], "training the check models")
    rows = attnlab.bench("twin-check", 1, experiments_dir=exp_dir)["rows"]
    ids = None
    measured = {}
    for row in rows:
        run_file = os.path.join(results, "twin-check", f"{row['run']}.h5")
        dump = os.path.join(scratch, f"{row['run']}-logits.json")
        run([attnlab.binary, "eval", run_file, "--dump-logits", dump, "--text", CHECK_TEXT], f"attnlab eval {row['run']}")
        with open(dump) as f:
            ref = json.load(f)
        model = pr.build_twin(row)
        with h5py.File(run_file, "r") as f:
            slot = int(f["checkpoint/meta"][0])
            if slot < 0:
                fail(f"{run_file}: no checkpoint to load into the twin")
            params = f[f"checkpoint/slot{slot}/params"]
            state = {k: torch.from_numpy(params[k][()]) for k in params}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            fail(f"twin of {row['run']}: AttnLab's parameter names differ: missing {missing}, unexpected {unexpected}")
        ids = torch.tensor([ref["token_ids"]])
        with torch.no_grad():
            logits = model.logits(ids)[0].double()
        expected = torch.tensor(ref["logits"], dtype=torch.float64)
        rel = float((logits - expected).abs().max() / expected.abs().max())
        if not rel <= CHECK_RTOL:
            fail(f"twin of {row['run']}: logits differ from AttnLab's by {rel:.2e} relative (limit {CHECK_RTOL})")
        decode_rel = 0.0
        for mode in (["naive", "absorbed"] if row["attention"] in ("mla", "gla") else [None]):
            model.prepare_decoding(mode or "absorbed")
            caches = [pr.Cache() for _ in model.layers]
            with torch.no_grad():
                pieces = [model.logits(ids[:, :5], caches, ids.shape[1])]
                pieces += [model.logits(ids[:, i:i + 1], caches, ids.shape[1]) for i in range(5, ids.shape[1])]
            decoded = torch.cat(pieces, dim=1)[0].double()
            decode_rel = max(decode_rel, float((decoded - logits).abs().max() / logits.abs().max()))
        if not decode_rel <= CHECK_RTOL:
            fail(f"twin of {row['run']}: cached decoding differs from the full forward by {decode_rel:.2e} relative")
        say(f"check {row['run']:<22} params {row['parameters']:>7,} (both)  logits vs AttnLab {rel:.1e}  "
            f"decode vs forward {decode_rel:.1e}")
        measured[row["run"]] = {"logits_vs_attnlab": rel, "decode_vs_forward": decode_rel}
    return {"models": [r["run"] for r in rows], "text": CHECK_TEXT, "rtol": CHECK_RTOL, "measured": measured}


def training_configs(attnlab, experiments, quick):
    """(experiment, run) for every distinct config, from a 1-step pass of `attnlab bench`."""
    configs = []
    for experiment in experiments:
        report = attnlab.bench(experiment, 1, run_name="mha" if quick and experiment == "tiny" else None)
        configs += [(experiment, row["run"]) for row in report["rows"]]
    return configs


def print_training_row(r):
    t = r["tokens_per_second"]
    say(f"{r['experiment'] + '/' + r['run']:<40} {r['parameters']:>10,} {r['tokens_per_step']:>8} {t['attnlab']:>8.0f} "
        f"{t['eager']:>8.0f} {t['compile']:>8.0f} {r['ratio_eager']:>7.2f} {r['ratio_compile']:>9.2f}  {r['target']}")


def bench_training(attnlab, pr, torch, experiments, rounds, steps, quick, rows_out, save):
    """Appends one row per config to rows_out and calls save() after each; configs already in
    rows_out (a resumed run) are printed and skipped."""
    configs = training_configs(attnlab, experiments, quick)
    done = {(r["experiment"], r["run"]) for r in rows_out}
    say(f"training: {len(configs)} configs x {rounds} rounds of {steps} steps per side"
        + (f" ({len(done & set(configs))} measured before this resume)" if done else ""))
    say(f"{'experiment/run':<40} {'params':>10} {'tok/step':>8} {'AttnLab':>8} {'eager':>8} {'compile':>8} "
        f"{'x eager':>7} {'x compile':>9}  target")
    for r in rows_out:
        print_training_row(r)
    for experiment, name in configs:
        if (experiment, name) in done:
            continue
        seconds = {"attnlab": [], "eager": [], "compile": []}
        row, timers = None, {}
        for r in range(rounds):
            order = ["attnlab", "eager", "compile"]
            order = order[r % 3:] + order[:r % 3] if row is not None else order
            for side in order:
                if side == "attnlab":
                    row = attnlab.bench(experiment, steps, run_name=name)["rows"][0]
                    seconds["attnlab"] += [ms / 1000 for ms in row["step_ms"]]
                    continue
                if side not in timers:
                    torch.set_num_threads(row["threads"])
                    timers[side] = pr.TrainingTimer(row, compiled=side == "compile")
                seconds[side] += timers[side].time_steps(steps)
        tps = {side: row["tokens_per_step"] * len(s) / sum(s) for side, s in seconds.items()}
        ratio_eager, ratio_compile = tps["attnlab"] / tps["eager"], tps["attnlab"] / tps["compile"]
        passed = ratio_eager >= TARGET_EAGER and ratio_compile >= TARGET_COMPILE
        rows_out.append({
            "experiment": experiment, "run": name, "attention": row["attention"], "parameters": row["parameters"],
            "twin_parameters": pr.parameter_count(timers["eager"].model), "batch_size": row["batch_size"],
            "seq_len": row["seq_len"], "grad_accum": row["grad_accum"], "tokens_per_step": row["tokens_per_step"],
            "threads": row["threads"], "model_config": row["model_config"],
            "tokens_per_second": tps, "step_seconds": seconds,
            "ratio_eager": ratio_eager, "ratio_compile": ratio_compile, "target": "pass" if passed else "miss",
            "measured_at": utc_now()})
        print_training_row(rows_out[-1])
        save()


def print_decoding_row(r):
    t = r["tokens_per_second"]
    say(f"{r['model']:<10} {r['latent_decode'] or '-':<9} {r['batch']:>5} {r['context']:>7} "
        f"{r['kv_bytes_per_sequence']:>12,} {t['attnlab']:>13.0f} {t['twin']:>10.0f} {r['ratio']:>6.2f}  {r['target']}")


def bench_decoding(attnlab, pr, torch, contexts, batches, rounds, steps, experiment, rows_out, save):
    """Appends the rows of each (batch, context) cell to rows_out and calls save() after each
    cell; cells already in rows_out (a resumed run) are printed and skipped."""
    done = {(r["batch"], r["context"]) for r in rows_out}
    say(f"decoding: contexts {contexts}, batches {batches}, {rounds} rounds of {steps} steps per side"
        + (f" ({len(done)} of {len(contexts) * len(batches)} cells measured before this resume)" if done else ""))
    say(f"{'model':<10} {'decode':<9} {'batch':>5} {'context':>7} {'KV bytes/seq':>12} {'AttnLab tok/s':>13} "
        f"{'twin tok/s':>10} {'ratio':>6}  target")
    for r in rows_out:
        print_decoding_row(r)
    twins = {}
    for batch in batches:
        for context in contexts:
            if (batch, context) in done:
                continue
            medians, rows = {}, None
            for r in range(rounds):
                sides = ["attnlab", "twin"] if r % 2 == 0 else ["twin", "attnlab"]
                if rows is None:
                    sides = ["attnlab", "twin"]
                for side in sides:
                    if side == "attnlab":
                        report = attnlab.decode([context], batch, steps, experiment)
                        rows = report["rows"]
                        torch.set_num_threads(report["threads"])
                        for row in rows:
                            medians.setdefault((row["model"], row.get("latent_decode")), {"attnlab": [], "twin": []})[
                                "attnlab"].append(row["ms_per_step"] / 1000)
                        continue
                    for row in rows:
                        key = (row["model"], row.get("latent_decode"))
                        # max_seq_len grows with the contexts of the call, so the twin is rebuilt when it does.
                        config = json.dumps(row["model_config"], sort_keys=True)
                        if config not in twins:
                            twins[config] = pr.TwinLM(row["model_config"])
                        seconds, kv_bytes = pr.time_decoding(twins[config], row.get("latent_decode"), batch, context, steps)
                        if kv_bytes != row["kv_bytes_per_sequence"]:
                            fail(f"twin of {row['model']}: KV cache {kv_bytes} bytes per sequence at context {context}, "
                                 f"AttnLab's {row['kv_bytes_per_sequence']}")
                        medians[key]["twin"].append(statistics.median(seconds))
            for row in rows:
                m = medians[(row["model"], row.get("latent_decode"))]
                a, t = statistics.median(m["attnlab"]), statistics.median(m["twin"])
                ratio = (batch / a) / (batch / t)
                rows_out.append({
                    "model": row["model"], "attention": row["attention"], "latent_decode": row.get("latent_decode"),
                    "batch": batch, "context": context, "kv_bytes_per_sequence": row["kv_bytes_per_sequence"],
                    "model_config": row["model_config"], "ms_per_step": {"attnlab": a * 1000, "twin": t * 1000},
                    "round_median_seconds": m, "tokens_per_second": {"attnlab": batch / a, "twin": batch / t},
                    "ratio": ratio, "target": "pass" if ratio > TARGET_DECODE else "miss", "measured_at": utc_now()})
                print_decoding_row(rows_out[-1])
            save()


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Partial:
    """OUT.partial.json: the rows measured so far, rewritten (write to a temporary file, then
    rename) after every training config and decode cell, so an interrupted run (Ctrl-C, a
    session ending, a crash) loses at most the row it was measuring. The same command with the
    same options and binary resumes it; each sitting is one entry of `segments` (start, end,
    seconds, load averages), since rows from different sittings saw different machine states."""

    def __init__(self, path, identity):
        self.path, self.identity = path, identity
        self.check, self.training, self.decoding, self.segments = None, [], [], []
        self.started = False

    def load(self, restart):
        if not os.path.exists(self.path):
            return False
        if restart:
            os.remove(self.path)
            say(f"side-by-side: --restart: discarded {self.path}")
            return False
        try:
            with open(self.path) as f:
                data = json.load(f)
            stored = data["identity"]
            check, training, decoding, segments = data["check"], data["training"], data["decoding"], data["segments"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            fail(f"{self.path}: not a partial side-by-side run ({type(e).__name__}: {e}); move it away or pass --restart")
        differing = sorted(k for k in set(stored) | set(self.identity) if stored.get(k) != self.identity.get(k))
        if differing:
            details = "; ".join(f"{k}: {json.dumps(stored.get(k))} there, {json.dumps(self.identity.get(k))} now"
                                for k in differing)
            fail(f"{self.path} holds a run with other settings ({details}). Run the command that started it to "
                 "resume it, or pass --restart to discard its rows")
        self.check, self.training, self.decoding, self.segments = check, training, decoding, segments
        say(f"side-by-side: resuming {self.path}: {len(training)} training rows and {len(decoding)} decoding rows "
            f"from {len(segments)} earlier sitting(s), the first started {segments[0]['start'] if segments else '?'}")
        return True

    def start_segment(self, load_before):
        self.segments.append({"start": utc_now(), "end": utc_now(), "seconds": 0.0,
                              "load_average_before": load_before, "load_average_after": load_before})
        self._started = time.time()
        self.started = True

    def save(self):
        self.saves = getattr(self, "saves", 0) + 1
        segment = self.segments[-1]
        segment.update(end=utc_now(), seconds=round(time.time() - self._started, 1), load_average_after=load_average())
        data = {"identity": self.identity, "check": self.check, "training": self.training,
                "decoding": self.decoding, "segments": self.segments}
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)
        # Fault injection for CI (.ci/run): behave as if Ctrl-C came right after the N-th save.
        if self.saves == int(os.environ.get("SIDE_BY_SIDE_INTERRUPT_AFTER_SAVES", "0")):
            raise KeyboardInterrupt


def git_commit():
    """The checkout's commit (with `-dirty` when it has local changes), or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True)
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def markdown(report):
    env = report["environment"]
    lines = [
        "# AttnLab vs its PyTorch twin, side by side", "",
        f"{env['date']} on {env['host']} ({env['cpu']}): AttnLab's BLAS core {env['blas_core']}, "
        f"PyTorch {env['torch']}, {env['threads']} thread(s) per side; load average {env['load_average_before']} "
        f"before, {env['load_average_after']} after. Removed from both sides' environment: "
        f"{', '.join(f'{k}={v}' for k, v in env['unset'].items()) or 'nothing (neither variable was set)'}. "
        f"{report['rounds']} interleaved round(s) of {report['steps']} timed steps per side"
        f"{' (--quick)' if report['quick'] else ''}; command `{report['command']}` at commit {env.get('commit') or 'unknown'}, "
        f"{report['seconds']:.0f} s of timing, finished at the date above.", ""]
    segments = report.get("segments", [])
    if len(segments) > 1:
        lines += [f"Measured in {len(segments)} sittings (an interrupted run resumed; rows carry `measured_at`): "
                  + "; ".join(f"{g['start']} to {g['end']}, {g['seconds']:.0f} s, load average {g['load_average_before']} "
                              f"at its start" for g in segments) + ".", ""]
    lines += [
        "How to read it: a side's tokens/s is its tokens over its timed step seconds, all rounds pooled; "
        "\"x eager\" and \"x compile\" are AttnLab's tokens/s over the twin's (above 1: AttnLab is faster); "
        "decode ratios likewise. Figures depend on the machine and its load; only ratios from one run compare "
        "the two. Columns and method: `bench/README.md`.", ""]
    if not report["quiet"]:
        loads = ", ".join(str(g["load_average_before"]) for g in segments) or env["load_average_before"]
        lines += [f"**Not a quiet machine: load average {loads} at the start of each sitting on {env['cores']} cores. "
                  "These figures are not a performance comparison.**", ""]
    if report.get("check"):
        measured = report["check"].get("measured", {})
        worst = max((m["logits_vs_attnlab"] for m in measured.values()), default=None)
        lines += [f"Twin check: {len(report['check']['models'])} models (AttnLab checkpoint weights loaded into the twin) "
                  f"give AttnLab's logits within {report['check']['rtol']} relative"
                  f"{f' (largest measured {worst:.1e})' if worst is not None else ''}, and the twin's cached decoding "
                  "equals its full forward.", ""]
    if report["training"]:
        lines += ["## Training tokens/s", "",
                  f"Target: AttnLab >= {TARGET_EAGER}x PyTorch eager and >= {TARGET_COMPILE}x torch.compile.", "",
                  "| experiment | run | attention | params | tokens/step | AttnLab tok/s | eager tok/s | compile tok/s | "
                  "x eager | x compile | target |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in report["training"]:
            t = r["tokens_per_second"]
            lines.append(f"| {r['experiment']} | {r['run']} | {r['attention']} | {r['parameters']:,} | {r['tokens_per_step']:,} | "
                         f"{t['attnlab']:.0f} | {t['eager']:.0f} | {t['compile']:.0f} | {r['ratio_eager']:.2f} | "
                         f"{r['ratio_compile']:.2f} | {r['target']} |")
        lines.append("")
    if report["decoding"]:
        lines += ["## Decoding tokens/s (KV cache, eager twin)", "", "Target: AttnLab faster than the twin (ratio > 1).", "",
                  "| model | attention | decode | batch | context | KV bytes/sequence | AttnLab ms/step | twin ms/step | "
                  "AttnLab tok/s | twin tok/s | ratio | target |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in report["decoding"]:
            ms, t = r["ms_per_step"], r["tokens_per_second"]
            lines.append(f"| {r['model']} | {r['attention']} | {r['latent_decode'] or '-'} | {r['batch']} | {r['context']:,} | "
                         f"{r['kv_bytes_per_sequence']:,} | {ms['attnlab']:.2f} | {ms['twin']:.2f} | {t['attnlab']:.0f} | "
                         f"{t['twin']:.0f} | {r['ratio']:.2f} | {r['target']} |")
        lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny/mha, tiny's models at contexts 16,32, 1 round")
    ap.add_argument("--rounds", type=int, help="interleaved rounds per config (default 3, --quick 1)")
    ap.add_argument("--steps", type=int, help="timed steps per side per round (default 5, --quick 2)")
    ap.add_argument("--contexts", default="128,512,1024,2048,4096", help="decode contexts (default AttnLab's)")
    ap.add_argument("--batches", default="1,8", help="decode batch sizes")
    ap.add_argument("--experiments", help="comma-separated experiments to time in training (default bench-grid, "
                                          "quickstart and every experiments/ablation-*.toml; --quick: tiny's mha run)")
    ap.add_argument("--no-build", action="store_true", help="use the existing .build/release/attnlab")
    ap.add_argument("--no-check", action="store_true", help="skip the twin-equals-AttnLab check")
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--no-decode", action="store_true")
    ap.add_argument("--restart", action="store_true", help="discard OUT.partial.json (an interrupted run's rows) "
                                                            "instead of resuming it")
    ap.add_argument("--out", help="writes OUT.json and OUT.md (default bench/side-by-side, --quick: bench/side-by-side-quick, "
                                   "which git ignores)")
    a = ap.parse_args()
    rounds = a.rounds if a.rounds is not None else 1 if a.quick else 3
    steps = a.steps if a.steps is not None else 2 if a.quick else 5
    for option, value in (("--rounds", rounds), ("--steps", steps)):
        if not 1 <= value <= 1000:
            ap.error(f"{option}: expected 1 to 1000, found {value}")
    def int_list(option, text, low, high):
        try:
            values = [int(x) for x in text.split(",")]
        except ValueError:
            values = []
        if not values or not all(low <= v <= high for v in values):
            ap.error(f"{option}: expected comma-separated integers from {low} to {high}, found {text!r}")
        return values

    given = {o for o in ("--contexts", "--batches") if any(arg == o or arg.startswith(o + "=") for arg in sys.argv[1:])}
    contexts = int_list("--contexts", a.contexts, 1, 65536)
    batches = int_list("--batches", a.batches, 1, 1024)
    if a.quick:
        if given:
            ap.error(f"{' and '.join(sorted(given))}: not with --quick, which decodes tiny's models at contexts 16,32 "
                     "and batches 1,2")
        contexts, batches = [16, 32], [1, 2]
    out = a.out or os.path.join(ROOT, "bench", "side-by-side-quick" if a.quick else "side-by-side")
    # Refuse an unwritable output before hours of timing, not after.
    for path in (out + ".json", out + ".md"):
        existed = os.path.exists(path)
        try:
            with open(path, "a"):
                pass
        except OSError as e:
            ap.error(f"--out: cannot write {path}: {e.strerror}")
        if not existed:
            os.remove(path)
    if a.experiments:
        unknown = [e for e in a.experiments.split(",") if not os.path.isfile(os.path.join(ROOT, "experiments", e + ".toml"))]
        if unknown:
            known = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(ROOT, "experiments", "*.toml")))
            ap.error(f"--experiments: no experiments/{unknown[0]}.toml; choose from {', '.join(known)}")

    # Both sides: without the machine's OpenBLAS overrides, removed before torch (and its BLAS) loads.
    unset = {k: os.environ.pop(k) for k in UNSET if k in os.environ}
    say("side-by-side: " + (f"removed {', '.join(f'{k}={v}' for k, v in unset.items())} from the environment of both sides"
                            if unset else f"{' and '.join(UNSET)} are not set; nothing to remove"))
    try:
        import torch
    except ImportError:
        fail("PyTorch is missing: pip install torch (AttnLab itself needs no Python)")
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import pytorch_reference as pr

    binary = os.path.join(ROOT, ".build", "release", "attnlab")
    if not a.no_build:
        say("side-by-side: swift build -c release")
        env_path = os.environ.get("PATH", "") + os.pathsep + "/opt/swift/usr/bin"
        p = subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, "PATH": env_path})
        if p.returncode != 0:
            fail(f"swift build -c release exited {p.returncode}: {(p.stderr or p.stdout).strip()[-2000:]}")
    if not os.access(binary, os.X_OK):
        fail(f"{binary} not found: build it with `swift build -c release` (or drop --no-build)")
    os.chdir(ROOT)
    experiments = [] if a.no_train else a.experiments.split(",") if a.experiments else ["tiny"] if a.quick else [
        "bench-grid", "quickstart"] + sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(ROOT, "experiments", "ablation-*.toml")))
    # What a resumed run must share with the run it continues: every option that shapes a row,
    # the binary (by content), the twin's PyTorch and the machine.
    identity = {"quick": a.quick, "rounds": rounds, "steps": steps, "check": not a.no_check, "experiments": experiments,
                "contexts": [] if a.no_decode else contexts, "batches": [] if a.no_decode else batches,
                "attnlab_sha256": file_sha256(binary), "twin_sha256": file_sha256(os.path.join(ROOT, "bench", "pytorch_reference.py")),
                "torch": torch.__version__, "host": platform.node()}
    # Ctrl-C and SIGTERM (a session or job ending) both stop the run after saving its rows. A
    # shell that starts a background job without job control hands it SIGINT ignored; restore it.
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # One writer per OUT: a second run on the same OUT would interleave rows into one partial file.
    lock = open(out + ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fail(f"another side_by_side.py is writing {out}.* (it holds {out}.lock); wait for it or use --out")
    partial = Partial(out + ".partial.json", identity)
    cores = os.cpu_count() or 1
    try:
        partial.load(a.restart)
        load_before = load_average()
        if load_before and load_before[0] >= QUIET_LOAD * cores:
            say(f"side-by-side: WARNING: load average {load_before[0]} on {cores} cores: the machine is not quiet, so the "
                "figures are not a comparison (PyTorch's OpenMP threads slow down most when cores are shared)")
        partial.start_segment(load_before)
        env_info = json.loads(run([binary, "env", "--json"], "attnlab env"))
        with tempfile.TemporaryDirectory() as scratch:
            attnlab = AttnLab(binary, scratch)
            if not a.no_check and partial.check is None:
                partial.check = check_twin(attnlab, pr, torch, scratch)
                partial.save()
            elif partial.check is not None:
                say(f"side-by-side: twin check passed before this resume ({len(partial.check['models'])} models)")
            if experiments:
                bench_training(attnlab, pr, torch, experiments, rounds, steps, a.quick, partial.training, partial.save)
            if not a.no_decode:
                bench_decoding(attnlab, pr, torch, contexts, batches, rounds, steps, "tiny" if a.quick else None,
                               partial.decoding, partial.save)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.environ.pop("SIDE_BY_SIDE_INTERRUPT_AFTER_SAVES", None)
        # Before this sitting started (still loading the partial file) there is nothing new to keep.
        if partial.started:
            partial.save()
        say(f"\nside-by-side: interrupted; {len(partial.training)} training and {len(partial.decoding)} decoding rows "
            f"kept in {partial.path}. The same command resumes from there.")
        sys.exit(130)
    partial.save()
    segments = partial.segments
    quiet = all(not (g["load_average_before"] and g["load_average_before"][0] >= QUIET_LOAD * cores) for g in segments)
    training, decoding = partial.training, partial.decoding
    report = {
        "environment": {
            "date": utc_now(),
            "host": platform.node(), "cpu": cpu_model(), "blas_core": env_info["blas"]["core_name"],
            "blas_config": env_info["blas"]["config"], "torch": torch.__version__, "threads": env_info["blas"]["threads"],
            "load_average_before": segments[0]["load_average_before"], "load_average_after": load_average(),
            "unset": unset, "cores": cores, "commit": git_commit(), "attnlab_sha256": identity["attnlab_sha256"]},
        "quiet": quiet, "segments": segments,
        "command": " ".join(["python3", "bench/side_by_side.py"] + sys.argv[1:]), "quick": a.quick,
        "rounds": rounds, "steps": steps, "seconds": round(sum(g["seconds"] for g in segments), 1), "check": partial.check,
        "targets": {"training_vs_eager": TARGET_EAGER, "training_vs_compile": TARGET_COMPILE, "decoding_vs_twin": TARGET_DECODE},
        "training": training, "decoding": decoding}
    with open(out + ".json", "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    with open(out + ".md", "w") as f:
        f.write(markdown(report))
    os.remove(partial.path)
    lock.close()
    os.remove(out + ".lock")
    misses = sum(r["target"] == "miss" for r in training + decoding)
    say(f"side-by-side: {len(training)} training and {len(decoding)} decoding rows, {misses} below target, "
        f"{report['seconds']:.0f} s of timing in {len(segments)} sitting(s); wrote {out}.json and {out}.md")


if __name__ == "__main__":
    main()
