#!/usr/bin/env python3
"""bench/reference/compare.py — Lethe and the PyTorch peer side by side, in one run: training
epoch times per (dataset, model), the two tools interleaved round by round (Lethe first in odd
rounds, PyTorch first in even ones) at the same OpenMP/PyTorch thread count, so that whatever
else loads the machine loads both alike. Writes JSON and a Markdown table.

  compare.py --lethe build/tools/lethe --data tiktok=TIKTOK --data baby=DIR
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
    log = os.path.join(out, "log.jsonl")
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    # The process's CPU time at each new log line (an epoch's end), polled from /proc: per-epoch
    # CPU time without changing what Lethe logs. It includes the previous epoch's last.ckpt write,
    # which Lethe's logged wall seconds do not.
    cpu_at, seen = [], 0
    while proc.poll() is None:
        n = count_lines(log)
        if n > seen:
            cpu_at.extend([proc_cpu(proc.pid)] * (n - seen))
            seen = n
        time.sleep(0.02)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        err.seek(0)
        sys.exit(f"compare.py: lethe train failed:\n{err.read().decode(errors='replace')}")
    with open(log) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    shutil.rmtree(out, ignore_errors=True)
    secs = [r["seconds"] for r in recs]
    cpu = [b - a for a, b in zip(cpu_at, cpu_at[1:])]  # epochs 2..n (epoch 1 has no start mark)
    return {"epoch_seconds": secs[1:-1], "epoch_cpu_seconds": cpu[:len(secs) - 2],
            "losses": [r["loss"] for r in recs], "wall_seconds": wall}


def count_lines(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return 0


def proc_cpu(pid):
    """utime + stime of a live process, seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


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
    return {"epoch_seconds": [r["seconds"] for r in recs][1:], "epoch_cpu_seconds": [r["cpu_seconds"] for r in recs][1:],
            "losses": [r["loss"] for r in recs], "wall_seconds": wall}


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
                    print(f"compare:   epochs {[round(s, 2) for s in x['epoch_seconds']]} s, CPU time "
                          f"{[round(s, 2) for s in x['epoch_cpu_seconds']]} s", file=sys.stderr, flush=True)
                rec["rounds"].append(rnd)
            for tool in ("lethe", "pytorch"):
                secs = [s for rnd in rec["rounds"] if tool in rnd for s in rnd[tool]["epoch_seconds"]]
                cpus = [s for rnd in rec["rounds"] if tool in rnd for s in rnd[tool]["epoch_cpu_seconds"]]
                if secs:
                    rec[tool + "_median_s"] = statistics.median(secs)
                if cpus:
                    rec[tool + "_median_cpu_s"] = statistics.median(cpus)
            if "pytorch_median_s" in rec:
                rec["speedup"] = rec["pytorch_median_s"] / rec["lethe_median_s"]
                rec["speedup_cpu"] = rec["pytorch_median_cpu_s"] / rec["lethe_median_cpu_s"]
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
             "Wall: each tool's own epoch timer. CPU time: the process's CPU seconds per epoch (Lethe's include the "
             "previous epoch's last.ckpt write), which other processes on a shared machine do not inflate.", "",
             "| dataset | model | Lethe s/epoch | PyTorch s/epoch | speed-up (wall) | Lethe CPU s/epoch | "
             "PyTorch CPU s/epoch | speed-up (CPU time) | 1-min load during runs |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in doc["results"]:
        def f(key, fmt="{:.2f}"):
            return fmt.format(r[key]) if key in r else "–"
        lines.append(f"| {r['dataset']} | {r['model']} | {f('lethe_median_s')} | {f('pytorch_median_s')} | "
                     f"{f('speedup', '{:.2f}×')} | {f('lethe_median_cpu_s')} | {f('pytorch_median_cpu_s')} | "
                     f"{f('speedup_cpu', '{:.2f}×')} | {r['load_range'][0]:.1f}–{r['load_range'][1]:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
