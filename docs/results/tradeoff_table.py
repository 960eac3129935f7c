#!/usr/bin/env python3
"""docs/results/tradeoff_table.py — where every method of one or more experiments lands on the
retain/forget trade-off, per regime (means over the seeds of each results.json):

  retain   retain Recall@20 and its difference from Retrain's (relative)
  forget   forget Recall@20 and |forget − Retrain's| as a fraction of the θ₀-to-Retrain gap
  plus Exposure@20, overlap@20 with Retrain, wall seconds and the speed-up against Retrain, and
  the methods that dominate it (at least as good on retain ↑ and forget error ↓, better on one).

usage: tradeoff_table.py results.json [results.json ...]"""
import json
import sys
from collections import defaultdict


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else float("nan")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    keys = ("retain_recall@20", "forget_recall@20", "exposure@20", "overlap@20_retrain", "seconds",
            "speedup_vs_retrain")
    for path in sys.argv[1:]:
        with open(path) as f:
            rows = json.load(f)
        by = defaultdict(list)
        for r in rows:
            if r.get("status", "ok") == "ok":
                by[r["method"]].append(r)
        if "original" not in by or "retrain" not in by:
            print(f"{path}: no original or retrain row\n")
            continue
        m = {k: {key: mean([r.get(key) for r in v]) for key in keys} for k, v in by.items()}
        o, rt = m["original"], m["retrain"]
        gap = o["forget_recall@20"] - rt["forget_recall@20"]
        err = {k: abs(v["forget_recall@20"] - rt["forget_recall@20"]) for k, v in m.items()}
        print(f"## {by['retrain'][0]['regime']} ({path}; {len(by['retrain'])} seed(s))")
        print()
        print("| method | retain R@20 (vs Retrain) | forget R@20 (error / gap) | Exposure@20 | overlap@20 | "
              "seconds | speed-up | dominated by |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for k, v in m.items():
            if k == "original":
                continue
            rel = (v["retain_recall@20"] / rt["retain_recall@20"] - 1) * 100 if rt["retain_recall@20"] else float("nan")
            ratio = err[k] / gap if gap > 0 else float("nan")
            dom = [j for j, w in m.items() if j not in (k, "original", "retrain") and k != "retrain"
                   and w["retain_recall@20"] >= v["retain_recall@20"] and err[j] <= err[k]
                   and (w["retain_recall@20"] > v["retain_recall@20"] or err[j] < err[k])]
            print(f"| {k} | {v['retain_recall@20']:.4f} ({rel:+.1f} %) | {v['forget_recall@20']:.4f} ({ratio:.3f}) | "
                  f"{v['exposure@20']:.4f} | {v['overlap@20_retrain']:.3f} | {v['seconds']:.1f} | "
                  f"{v['speedup_vs_retrain']:.1f}× | {', '.join(dom) or '–'} |")
        print(f"\nθ₀: retain R@20 {o['retain_recall@20']:.4f}, forget R@20 {o['forget_recall@20']:.4f}\n")


if __name__ == "__main__":
    main()
