#!/usr/bin/env python3
"""docs/results/select_tuning.py — reads the audits written by tune.sh and prints, per regime, a
table of every candidate setting and the setting selected for each method family (the name's
prefix before the first '_': mmrecun, tru).

Rule: forget-gap ratio = |forget R@20 − Retrain's| / (θ₀'s − Retrain's); speed-up = the tuning
Retrain's wall time / the candidate's (same machine, same load). A setting qualifies when its
ratio is ≤ 0.1 and its speed-up ≥ 10 (the targets of the unlearning issue); among the qualifying
settings the highest VALID retain Recall@20 wins. If none qualifies, the fastest-enough (≥ 10×)
setting with the smallest ratio; if none is fast enough, the smallest ratio.

usage: select_tuning.py OUT_DIR [--grid FILE [--write-configs DIR]] [regime ...]
  --grid FILE           consider only the settings named in FILE (tune.sh's CANDIDATES format)
  --write-configs DIR   also write each selected setting's flags as DIR/<regime>-<family>.cfg
                        (`key = value` lines, the format of lethe experiment --method-config)"""
import json
import os
import sys


def rows(path):
    with open(path) as f:
        d = json.load(f)
    return d if isinstance(d, list) else d.get("rows", d)


def write_config(path, name, flags, grid_file):
    """The setting's --key value flags as `key = value` lines."""
    if len(flags) % 2 or any(not f.startswith("--") for f in flags[::2]):
        sys.exit(f"{grid_file}: the flags of {name} are not --key value pairs: {' '.join(flags)}")
    lines = [f"# chosen by select_tuning.py on the validation request (seed 101): {name}"]
    lines += [f"{k[2:]} = {v}" for k, v in zip(flags[::2], flags[1::2])]
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out, args = args[0], args[1:]
    grid = None
    flags = {}
    write_dir = None
    if len(args) >= 2 and args[0] == "--grid":
        with open(args[1]) as f:
            for l in f:
                if l.strip() and not l.startswith("#"):
                    name, _method, *rest = l.split()
                    flags[name] = rest
        grid = set(flags)
        grid_file = args[1]
        args = args[2:]
        if len(args) >= 2 and args[0] == "--write-configs":
            write_dir = args[1]
            os.makedirs(write_dir, exist_ok=True)
            args = args[2:]
    regimes = args or ["user", "item", "interaction"]
    for r in regimes:
        d = os.path.join(out, r)
        if not os.path.isdir(d):
            continue
        cands = []
        orig = retr = None
        for name in sorted(os.listdir(d)):
            if not name.endswith(".json") or (grid is not None and name[:-5] not in grid):
                continue
            by = {x["method"]: x for x in rows(os.path.join(d, name))}
            orig, retr = by["original"], by["retrain"]
            m = [x for k, x in by.items() if k not in ("original", "retrain")][0]
            cands.append((name[:-5], m))
        if not cands:
            continue
        gap = orig["forget_recall@20"] - retr["forget_recall@20"]
        print(f"## {r}: θ₀ forget R@20 {orig['forget_recall@20']:.4f}, Retrain forget R@20 {retr['forget_recall@20']:.4f}, "
              f"Retrain valid retain R@20 {retr['retain_recall@20']:.4f}, Retrain {retr['seconds']:.0f} s")
        print()
        print("| setting | valid retain R@20 | forget R@20 | gap ratio | overlap@20 | seconds | speed-up |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        best = {}
        for name, m in cands:
            ratio = abs(m["forget_recall@20"] - retr["forget_recall@20"]) / gap if gap > 0 else float("nan")
            speed = retr["seconds"] / m["seconds"]
            print(f"| {name} | {m['retain_recall@20']:.4f} | {m['forget_recall@20']:.4f} | {ratio:.3f} | "
                  f"{m['overlap@20_retrain']:.3f} | {m['seconds']:.1f} | {speed:.1f}× |")
            fam = name.split("_")[0]
            fast = speed >= 10
            if ratio <= 0.1 and fast:
                key = (0, -m["retain_recall@20"])
            elif fast:
                key = (1, ratio)
            else:
                key = (2, ratio)
            if fam not in best or key < best[fam][0]:
                best[fam] = (key, name)
        print()
        for fam, (_, name) in sorted(best.items()):
            print(f"selected {fam}: {name}")
            if write_dir:
                write_config(os.path.join(write_dir, f"{r}-{fam}.cfg"), name, flags[name], grid_file)
        print()


if __name__ == "__main__":
    main()
