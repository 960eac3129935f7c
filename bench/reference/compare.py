#!/usr/bin/env python3
"""bench/reference/compare.py — Lethe and the PyTorch peer side by side, in one run: training
epoch times per (dataset, model), the two tools interleaved round by round (Lethe first in odd
rounds, PyTorch first in even ones) at the same OpenMP/PyTorch thread count, so that whatever
else loads the machine loads both alike. Writes JSON and a Markdown table.

  compare.py --lethe build/tools/lethe --data tiktok=../shared/data/tiktok --data baby=DIR
             [--models lightgcn,mgcn,miggt] [--epochs 2] [--rounds 2] [--threads 1]
             [--json FILE] [--md FILE] [--python bench/reference/.venv/bin/python]

Each run trains `epochs` + 2 epochs for Lethe (`lethe train` with no evaluation before the last
epoch; the first epoch is a warm-up and the last one also evaluates, so both are dropped) and
`epochs` + 1 for the peer (the first dropped). The reported time is the median of the kept
epochs over all rounds; speed-up = PyTorch's / Lethe's. Lethe is started without
OMP_WAIT_POLICY in its environment (as a user would start it). MIG-GT has no peer: its Lethe
times are reported alone. The load average is recorded before every run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def run_lethe(lethe, data, model, epochs, threads):
    out = tempfile.mkdtemp(prefix="lethe-compare-")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env["OMP_NUM_THREADS"] = str(threads)
    cmd = [lethe, "train", "--data", data, "--model", model, "--out", out, "--overwrite", "--quiet", "--device", "cpu",
           "--epochs", str(epochs + 2), "--eval_every", "1000000", "--patience", "1000000"]
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    with open(os.path.join(out, "log.jsonl")) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    shutil.rmtree(out, ignore_errors=True)
    secs = [r["seconds"] for r in recs]
    return {"epoch_seconds": secs[1:-1], "losses": [r["loss"] for r in recs], "wall_seconds": wall}


def run_peer(python, data, model, epochs, threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env["MKL_NUM_THREADS"] = str(threads)
    cmd = [python, os.path.join(HERE, "peer.py"), "train", "--data", data, "--model", model, "--epochs", str(epochs + 1),
           "--threads", str(threads)]
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return {"epoch_seconds": [r["seconds"] for r in recs][1:], "losses": [r["loss"] for r in recs], "wall_seconds": wall}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lethe", required=True)
    ap.add_argument("--data", action="append", required=True, help="NAME=DIR (repeatable)")
    ap.add_argument("--models", default="lightgcn,mgcn,miggt")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--python", default=os.path.join(HERE, ".venv", "bin", "python"))
    ap.add_argument("--json")
    ap.add_argument("--md")
    a = ap.parse_args()
    if not os.path.exists(a.python):
        sys.exit(f"compare.py: no Python with PyTorch at {a.python}: run bench/reference/setup.sh first")
    datasets = [d.split("=", 1) for d in a.data]
    models = a.models.split(",")
    results = []
    for name, folder in datasets:
        for model in models:
            rec = {"dataset": name, "data": folder, "model": model, "threads": a.threads, "rounds": []}
            for r in range(a.rounds):
                tools = ["lethe", "pytorch"] if r % 2 == 0 else ["pytorch", "lethe"]
                if model == "miggt":
                    tools = ["lethe"]
                rnd = {}
                for tool in tools:
                    load = loadavg()
                    print(f"compare: {name} {model} round {r + 1} {tool} (load {load}) ...", file=sys.stderr, flush=True)
                    if tool == "lethe":
                        x = run_lethe(a.lethe, folder, model, a.epochs, a.threads)
                    else:
                        x = run_peer(a.python, folder, model, a.epochs, a.threads)
                    x["load_before"] = load
                    rnd[tool] = x
                    print(f"compare:   epochs {[round(s, 2) for s in x['epoch_seconds']]}", file=sys.stderr, flush=True)
                rec["rounds"].append(rnd)
            for tool in ("lethe", "pytorch"):
                secs = [s for rnd in rec["rounds"] if tool in rnd for s in rnd[tool]["epoch_seconds"]]
                if secs:
                    rec[tool + "_median_s"] = statistics.median(secs)
            if "pytorch_median_s" in rec:
                rec["speedup"] = rec["pytorch_median_s"] / rec["lethe_median_s"]
            rec["load_range"] = [min(rnd[t]["load_before"][0] for rnd in rec["rounds"] for t in rnd),
                                 max(rnd[t]["load_before"][0] for rnd in rec["rounds"] for t in rnd)]
            results.append(rec)
    doc = {"threads": a.threads, "epochs_kept_per_run": a.epochs, "rounds": a.rounds, "cpu": cpu_name(),
           "nproc": os.cpu_count(), "results": results}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
    md = markdown(doc)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)
    print(md)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def markdown(doc):
    lines = [f"Training epoch, seconds (median of {doc['epochs_kept_per_run']} epochs × {doc['rounds']} interleaved rounds); "
             f"{doc['threads']} thread(s) each; {doc['cpu']}, {doc['nproc']} cores.", "",
             "| dataset | model | Lethe s/epoch | PyTorch s/epoch | Lethe speed-up | 1-min load during runs |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for r in doc["results"]:
        py = f"{r['pytorch_median_s']:.2f}" if "pytorch_median_s" in r else "–"
        sp = f"{r['speedup']:.2f}×" if "speedup" in r else "–"
        lines.append(f"| {r['dataset']} | {r['model']} | {r['lethe_median_s']:.2f} | {py} | {sp} | "
                     f"{r['load_range'][0]:.1f}–{r['load_range'][1]:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
