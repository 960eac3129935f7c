#!/usr/bin/env python3
"""docs/results/check_acceptance.py — reads the results.json of one or more experiments and prints,
per regime, whether TRU meets the targets of the unlearning issue, with the numbers behind each
verdict (means over seeds):

  retain   TRU's retain Recall@20 within 5% of Retrain's (relative)
  forget   |TRU's forget Recall@20 − Retrain's| ≤ 10% of the original-to-Retrain gap
  speed    TRU's speed-up against Retrain ≥ 10×
  vs MMRecUn  TRU is not dominated by MMRecUn on (retain Recall@20 ↑, |forget − Retrain's| ↓)

usage: check_acceptance.py results.json [results.json ...]"""
import json
import sys
from collections import defaultdict


def mean(xs):
    xs = [x for x in xs if x is not None]  # θ₀'s row has no speed-up
    return sum(xs) / len(xs) if xs else float("nan")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
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
        regime = by["retrain"][0]["regime"]
        m = {k: {key: mean([r.get(key) for r in v]) for key in
                 ("retain_recall@20", "forget_recall@20", "speedup_vs_retrain", "seconds")}
             for k, v in by.items()}
        o, rt = m["original"], m["retrain"]
        gap = o["forget_recall@20"] - rt["forget_recall@20"]
        print(f"## {regime} ({path}): θ₀ forget R@20 {o['forget_recall@20']:.4f}, Retrain forget "
              f"{rt['forget_recall@20']:.4f} (gap {gap:.4f}), Retrain retain R@20 {rt['retain_recall@20']:.4f}, "
              f"Retrain {rt['seconds']:.0f} s")
        print("| method | retain R@20 | retain vs Retrain | forget R@20 | forget error / gap | speed-up |")
        print("|---|---:|---:|---:|---:|---:|")
        for k, v in m.items():
            if k in ("original", "retrain"):
                continue
            rel = v["retain_recall@20"] / rt["retain_recall@20"] - 1
            err = abs(v["forget_recall@20"] - rt["forget_recall@20"]) / gap if gap > 0 else float("nan")
            print(f"| {k} | {v['retain_recall@20']:.4f} | {rel:+.1%} | {v['forget_recall@20']:.4f} | "
                  f"{err:.3f} | {v['speedup_vs_retrain']:.1f}× |")
        if "tru" in m:
            t = m["tru"]
            rel = t["retain_recall@20"] / rt["retain_recall@20"] - 1
            err = abs(t["forget_recall@20"] - rt["forget_recall@20"]) / gap if gap > 0 else float("nan")
            verdict = lambda ok: "PASS" if ok else "FAIL"
            print(f"- retain within 5% of Retrain: {verdict(abs(rel) <= 0.05)} ({rel:+.1%})")
            print(f"- forget within 10% of the gap: {verdict(err <= 0.10)} ({err:.3f} of the gap)")
            print(f"- ≥ 10× faster than Retrain: {verdict(t['speedup_vs_retrain'] >= 10)} "
                  f"({t['speedup_vs_retrain']:.1f}×)")
            if "mmrecun" in m:
                u = m["mmrecun"]
                ue = abs(u["forget_recall@20"] - rt["forget_recall@20"])
                te = abs(t["forget_recall@20"] - rt["forget_recall@20"])
                dominated = (u["retain_recall@20"] >= t["retain_recall@20"] and ue <= te and
                             (u["retain_recall@20"] > t["retain_recall@20"] or ue < te))
                print(f"- no worse than MMRecUn (not dominated): {verdict(not dominated)} "
                      f"(retain {t['retain_recall@20']:.4f} vs {u['retain_recall@20']:.4f}; "
                      f"|forget − Retrain| {te:.4f} vs {ue:.4f})")
        print()


if __name__ == "__main__":
    main()
