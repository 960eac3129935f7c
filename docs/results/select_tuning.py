#!/usr/bin/env python3
"""docs/results/select_tuning.py — reads the audits written by tune.sh and prints, per regime, a
table of every candidate setting and the setting selected for MMRecUn and for TRU.

Rule: forget-gap ratio = |forget R@20 − Retrain's| / (θ₀'s − Retrain's). Among the settings with a
ratio ≤ 0.1, the highest valid retain Recall@20 wins; if none qualifies, the smallest ratio.
usage: select_tuning.py OUT_DIR [regime ...]"""
import json, os, sys

def rows(path):
    with open(path) as f:
        d = json.load(f)
    return d if isinstance(d, list) else d.get("rows", d)

def main():
    out = sys.argv[1]
    regimes = sys.argv[2:] or ["user", "item", "interaction"]
    for r in regimes:
        d = os.path.join(out, r)
        if not os.path.isdir(d):
            continue
        cands = []
        orig = retr = None
        for name in sorted(os.listdir(d)):
            if not name.endswith(".json"):
                continue
            by = {x["method"]: x for x in rows(os.path.join(d, name))}
            orig, retr = by["original"], by["retrain"]
            m = [x for k, x in by.items() if k not in ("original", "retrain")][0]
            cands.append((name[:-5], m))
        if not cands:
            continue
        gap = orig["forget_recall@20"] - retr["forget_recall@20"]
        print(f"## {r}: θ₀ forget {orig['forget_recall@20']:.4f}, Retrain forget {retr['forget_recall@20']:.4f}, "
              f"Retrain valid retain R@20 {retr['retain_recall@20']:.4f}, Retrain {retr['seconds']:.0f} s")
        print("| setting | valid retain R@20 | forget R@20 | gap ratio | overlap@20 | seconds |")
        print("|---|---:|---:|---:|---:|---:|")
        best = {}
        for name, m in cands:
            ratio = abs(m["forget_recall@20"] - retr["forget_recall@20"]) / gap if gap > 0 else float("nan")
            print(f"| {name} | {m['retain_recall@20']:.4f} | {m['forget_recall@20']:.4f} | {ratio:.3f} | "
                  f"{m['overlap@20_retrain']:.3f} | {m['seconds']:.1f} |")
            fam = name.split("_")[0]
            key = (0 if ratio <= 0.1 else 1, -m["retain_recall@20"] if ratio <= 0.1 else ratio)
            if fam not in best or key < best[fam][0]:
                best[fam] = (key, name)
        for fam, (_, name) in sorted(best.items()):
            print(f"selected {fam}: {name}")
        print()

if __name__ == "__main__":
    main()
