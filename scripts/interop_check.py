"""Checks AttnLab's exports against the real libraries (run by scripts/interop-test.sh).

  python3 interop_check.py hf ATTNLAB RUN.h5 EXPORT_DIR       # transformers: logits, tokens, generation
  python3 interop_check.py netcdf RUN.h5                      # xarray + h5netcdf, h5py, h5dump
  python3 interop_check.py csv RUN.h5 CSV_DIR                 # pandas reads the CSV export exactly
  python3 interop_check.py live ATTNLAB RESULTS_DIR           # a live (SWMR) run read by h5py and xarray

Exits non-zero with a message on the first failure; prints one line per check.
"""
import json
import os
import subprocess
import sys
import tempfile

TEXT = "The quick brown fox, ové!"        # 26 bytes: fits tiny's max_seq_len of 32
PROMPT = "The "
NEW_TOKENS = 24
RTOL = 1e-5


def fail(message):
    print(f"interop: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def check_hf(attnlab, run_file, folder):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "logits.json")
        run([attnlab, "eval", run_file, "--dump-logits", dump, "--text", TEXT])
        with open(dump) as f:
            ref = json.load(f)
    ids = ref["token_ids"]
    import h5py

    with h5py.File(run_file, "r") as f:
        byte_level = f.attrs["tokenizer"] == "byte"
    if byte_level and ids != list(TEXT.encode("utf-8")):
        fail(f"{run_file}: attnlab's token ids {ids} are not the UTF-8 bytes of the text")
    model, info = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, output_loading_info=True)
    if any(info.get(k) for k in ("missing_keys", "unexpected_keys", "mismatched_keys")):
        fail(f"{folder}: transformers reports {info}")
    model.eval()
    with open(os.path.join(folder, "config.json")) as f:
        arch = json.load(f)["architectures"][0]
    if type(model).__name__ != arch:
        fail(f"{folder}: loaded as {type(model).__name__}, config says {arch}")
    tok = AutoTokenizer.from_pretrained(folder)
    if tok(TEXT)["input_ids"] != ids:
        fail(f"{folder}: tokenizer.json gives {tok(TEXT)['input_ids']}, attnlab {ids}")
    if byte_level and tok.decode(ids) != TEXT:
        fail(f"{folder}: tokenizer decodes to {tok.decode(ids)!r}")
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].double().numpy()
    import numpy as np
    expected = np.array(ref["logits"], dtype=np.float64)
    if logits.shape != expected.shape:
        fail(f"{folder}: logits shape {logits.shape}, attnlab {expected.shape}")
    rel = float(np.max(np.abs(logits - expected)) / np.max(np.abs(expected)))
    if not rel <= RTOL:
        fail(f"{folder}: logits differ from attnlab's by {rel:.3e} relative (max |diff| / max |logit|), limit {RTOL}")
    prompt_ids = tok(PROMPT)["input_ids"]
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
                             max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=None, pad_token_id=0)
    hf_ids = out[0, len(prompt_ids):].tolist()
    if len(set(hf_ids)) < 3:
        fail(f"{folder}: greedy generation {hf_ids} has fewer than 3 distinct tokens; train longer for a meaningful check")
    # The decoding path exists only for MLA (DeepSeek); attnlab refuses it for the other kinds.
    modes = ["absorbed", "naive"] if arch == "DeepseekV3ForCausalLM" else [None]
    for mode in modes:
        text = run([attnlab, "generate", "--checkpoint", run_file, "--prompt", PROMPT, "--max-new-tokens", str(NEW_TOKENS),
                    "--temperature", "0", "--token-ids"] + (["--mla-mode", mode] if mode else []))
        ours = [int(x) for x in text.split()]
        if ours != hf_ids:
            fail(f"{folder}: greedy generation differs: attnlab ({mode}) {ours}, transformers {hf_ids}")
    print(f"interop: hf {os.path.basename(folder)}: {arch} loads; logits max relative difference {rel:.2e}; "
          f"{'byte' if byte_level else 'char'} tokenizer ids equal; greedy generation of {NEW_TOKENS} tokens equal ({', '.join(m or 'cached' for m in modes)})")


def check_netcdf(run_file):
    import h5py
    import xarray as xr

    for group in ("train", "eval"):
        ds = xr.open_dataset(run_file, group=group, engine="h5netcdf")
        if list(ds.sizes) != ["step"] or "step" not in ds.coords:
            fail(f"{run_file}:/{group}: dimensions {dict(ds.sizes)}, coordinates {list(ds.coords)}; expected a 'step' coordinate")
        for name, var in ds.variables.items():
            if var.dims != ("step",):
                fail(f"{run_file}:/{group}/{name}: dimensions {var.dims}, expected ('step',)")
            if not var.attrs.get("units") or not var.attrs.get("long_name"):
                fail(f"{run_file}:/{group}/{name}: attributes {dict(var.attrs)} lack units or long_name")
        if ds["step"].size == 0 or (ds["step"].diff("step") <= 0).any():
            fail(f"{run_file}:/{group}: steps are not increasing")
        ds.close()
    root = xr.open_dataset(run_file, engine="h5netcdf", phony_dims="sort")
    status = root["status"].values[()]
    if not isinstance(status, str) or status not in ("running", "finished", "diverged", "interrupted"):
        fail(f"{run_file}: xarray reads /status as {status!r}")
    root.close()
    counted = []
    with h5py.File(run_file, "r") as f:
        if int(f.attrs["format_version"]) != 3:
            fail(f"{run_file}: format_version {f.attrs['format_version']}")
        if f["status"].asstr()[()] == "finished" and not (f["final_eval/step"][0] > 0 and f["final_eval/loss"].attrs.get("units") == "nats/token"):
            fail(f"{run_file}: a finished run without its /final_eval")

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                obj[()]
                if name.startswith("checkpoint/slot") and ("units" not in obj.attrs or "long_name" not in obj.attrs):
                    fail(f"{run_file}:/{name}: no units or long_name")
                counted.append(name)
        f.visititems(visit)
    for args in (["h5dump", "-H", run_file], ["h5dump", run_file], ["h5ls", "-r", run_file]):
        subprocess.run(args, check=True, capture_output=True)
    print(f"interop: netcdf {run_file}: xarray/h5netcdf see /train and /eval indexed by 'step' with units and long_name; "
          f"status {status!r}; h5py read {len(counted)} datasets; h5dump and h5ls read it")


def check_csv(run_file, folder):
    import h5py
    import numpy as np
    import pandas as pd

    with h5py.File(run_file, "r") as f:
        for group in ("train", "eval"):
            table = pd.read_csv(os.path.join(folder, f"{group}.csv"), index_col="step", float_precision="round_trip")
            if not np.array_equal(table.index.values, f[f"{group}/step"][:]):
                fail(f"{folder}/{group}.csv: steps differ from the run file")
            for column in table.columns:
                if not np.array_equal(table[column].values, f[f"{group}/{column}"][:], equal_nan=True):
                    fail(f"{folder}/{group}.csv: column {column} differs from the run file")
            if sorted(table.columns) != sorted(k for k in f[group] if k != "step"):
                fail(f"{folder}/{group}.csv: columns {list(table.columns)}")
        # Format 3, finished: /final_eval as one row.
        if "final_eval" in f and f["final_eval/step"][0] > 0:
            final = pd.read_csv(os.path.join(folder, "final_eval.csv"), index_col="step", float_precision="round_trip")
            if list(final.index.values) != [f["final_eval/step"][0]]:
                fail(f"{folder}/final_eval.csv: step differs from the run file")
            for column in final.columns:
                if not np.array_equal(final[column].values, f[f"final_eval/{column}"][:], equal_nan=True):
                    fail(f"{folder}/final_eval.csv: column {column} differs from the run file")
    print(f"interop: csv {folder}: train.csv, eval.csv (and final_eval.csv) equal the run file bit for bit")


def check_live(attnlab, results):
    import time

    import h5py
    import xarray as xr

    path = os.path.join(results, "tiny", "mha.h5")
    proc = subprocess.Popen([attnlab, "run", "tiny", "--run", "mha", "--results", results, "--set", "train.steps=100000",
                             "--set", "log.flush_seconds=0.2", "--set", "eval.every=1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        rows = []
        while time.time() < deadline and len(rows) < 2:
            time.sleep(0.5)
            if not os.path.exists(path):
                continue
            with h5py.File(path, "r", swmr=True) as f:
                n = f["train/step"].shape[0]
                if n > 0 and (not rows or n > rows[-1]):
                    rows.append(n)
                    if f["status"].asstr()[()] != "running":
                        fail(f"{path}: live run's status is {f['status'][()]!r}")
        if len(rows) < 2:
            fail(f"{path}: a live run's curve did not grow within 120 s ({rows})")
        ds = xr.open_dataset(path, group="train", engine="h5netcdf", driver_kwds={"swmr": True})
        if ds.sizes["step"] == 0 or ds["loss"].attrs.get("units") != "nats/token":
            fail(f"{path}: xarray on the live run sees {dict(ds.sizes)} and {dict(ds['loss'].attrs)}")
        ds.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print(f"interop: live {path}: h5py (swmr=True) saw the curve grow {rows[0]} -> {rows[-1]} rows while training; "
          f"xarray opened the live /train; stopped with SIGTERM (exit {proc.returncode})")


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    {"hf": check_hf, "netcdf": check_netcdf, "csv": check_csv, "live": check_live}[kind](*args)
