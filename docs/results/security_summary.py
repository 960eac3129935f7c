#!/usr/bin/env python3
"""docs/results/security_summary.py — where TRU is and is not closer to Retrain than MMRecUn, from
the results of security.sh: for every regime and every audit value, each method's mean
|value − Retrain's| over seeds against the Retrain-vs-Retrain spread, and for the backdoor
experiment each method's ASR@20 against θ₀'s and θ_clean's and how many seeds it passed.

usage: docs/results/security_summary.py OUT_DIR [method ...]   (default methods: tru mmrecun)
Prints Markdown. Reads OUT_DIR/{user,interaction}/results.json and OUT_DIR/backdoor/results.json
(whichever exist).
"""
import json
import math
import os
import sys

AUDITS = [
    ("forget R@20", "forget_recall@20", None),
    ("A: AUC", "mia_a_auc", "mia_a_auc"),
    ("A: bal. acc.", "mia_a_bacc", "mia_a_bacc"),
    ("B: AUC", "mia_b_auc", "mia_b_auc"),
    ("B: bal. acc.", "mia_b_bacc", "mia_b_bacc"),
    ("C: AUC", "mia_c_auc", "mia_c_auc"),
    ("deleted users' member rate", "umia_deleted_rate", "umia_deleted_rate"),
]


def num(v):
    return float("nan") if v is None else float(v)


def mean(xs):
    xs = [x for x in xs if not math.isnan(x)]
    return sum(xs) / len(xs) if xs else float("nan")


def fmt(x, d=3):
    return "–" if math.isnan(x) else f"{x:.{d}f}"


def regime_table(rows, methods):
    ok = [r for r in rows if r.get("status", "ok") == "ok"]
    retrain = {r["seed"]: r for r in ok if r["method"] == "retrain"}
    out = ["| audit | θ₀ | Retrain | spread | " + " | ".join(f"{m} \\|Δ\\|" for m in methods) + " | closer to Retrain |",
           "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in methods) + " | --- |"]
    for label, key, ref in AUDITS:
        vals = {}
        for m in ["original"] + methods:
            gaps = []
            for r in ok:
                if r["method"] != m or r["seed"] not in retrain:
                    continue
                v, rv = num(r.get(key)), num(retrain[r["seed"]].get(key))
                gaps.append(abs(v - rv))
            vals[m] = mean(gaps)
        rv = mean([num(r.get(key)) for r in retrain.values()])
        if math.isnan(rv):
            continue
        v0 = mean([num(r.get(key)) for r in ok if r["method"] == "original"])
        spread = mean([num(r.get(ref + "_spread")) for r in retrain.values()]) if ref else float("nan")
        best = min(methods, key=lambda m: vals[m] if not math.isnan(vals[m]) else float("inf"))
        verdict = best
        if not math.isnan(spread) and all(not math.isnan(vals[m]) and vals[m] <= spread for m in methods):
            verdict = "all within the spread"
        out.append(f"| {label} | {fmt(v0)} | {fmt(rv)} | {fmt(spread)} | " +
                   " | ".join(fmt(vals[m]) for m in methods) + f" | {verdict} |")
    return "\n".join(out)


def backdoor_table(rows, methods):
    ok = [r for r in rows if r.get("status", "ok") == "ok"]
    out = ["| model | ASR@20 | ER@20 | target mean rank | retain R@20 | passes | attack size |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for m in ["original", "retrain"] + methods:
        rs = [r for r in ok if r["method"] == m]
        if not rs:
            continue
        passes = [r.get("backdoor_pass") for r in rs if r.get("backdoor_pass") is not None]
        name = {"original": "θ₀", "retrain": "θ_clean (Retrain)"}.get(m, m)
        out.append(f"| {name} | {fmt(mean([num(r.get('backdoor_asr@20')) for r in rs]), 4)} | "
                   f"{fmt(mean([num(r.get('backdoor_er@20')) for r in rs]), 4)} | "
                   f"{fmt(mean([num(r.get('backdoor_target_rank')) for r in rs]), 1)} | "
                   f"{fmt(mean([num(r.get('retain_recall@20')) for r in rs]), 4)} | "
                   f"{(str(int(sum(passes))) + '/' + str(len(passes))) if passes else '–'} | "
                   f"{', '.join(sorted({fmt(num(r.get('backdoor_attack_size')), 3) for r in rs}))} |")
    return "\n".join(out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    methods = sys.argv[2:] or ["tru", "mmrecun"]
    for regime in ("user", "interaction"):
        path = os.path.join(out_dir, regime, "results.json")
        if os.path.exists(path):
            with open(path) as f:
                rows = json.load(f)
            print(f"## {regime} regime: mean |value − Retrain's| over seeds\n")
            print(regime_table(rows, methods) + "\n")
    path = os.path.join(out_dir, "backdoor", "results.json")
    if os.path.exists(path):
        with open(path) as f:
            rows = json.load(f)
        print("## backdoor\n")
        print(backdoor_table(rows, methods) + "\n")


if __name__ == "__main__":
    main()
