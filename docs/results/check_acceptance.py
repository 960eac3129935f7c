#!/usr/bin/env python3
"""docs/results/check_acceptance.py — reads the results.json of one or more experiments and prints,
per regime, whether TRU (tru, and tru-auto when it ran) meets the targets, with the numbers behind
each verdict (means over seeds; per-seed counts where a criterion is judged per request):

  retain   retain Recall@20 within 5% of Retrain's (relative, means over seeds); beside it, per
           seed, the method's distance and the second Retrain's (|Retrain − Retrain₂| / Retrain:
           how far Retrain lands from itself, the retain noise floor) where it was measured
  forget   within Retrain's reach: |forget Recall@20 − Retrain's| ≤ max(0.2 × Retrain's,
           |Retrain − second Retrain|, 0.01), judged per request seed (the second Retrain is the
           noise-floor Retrain of that seed; without one the term is left out)
  gap      the older rule beside it: |forget − Retrain's| ≤ 10% of θ₀'s distance to Retrain
  speed    speed-up against Retrain ≥ 10× (the tuned methods' times include their search)
  vs MMRecUn  not dominated by MMRecUn (mmrecun-auto for tru-auto) on (retain ↑, |forget − Retrain's| ↓)

usage: check_acceptance.py results.json [results.json ...]"""
import json
import sys
from collections import defaultdict


def mean(xs):
    xs = [x for x in xs if x is not None]  # θ₀'s row has no speed-up
    return sum(xs) / len(xs) if xs else float("nan")


def tolerance(retrain_forget, spread):
    tol = max(0.2 * retrain_forget, 0.01)
    return tol if spread is None else max(tol, spread)


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
        retrain_by_seed = {r["seed"]: r for r in by["retrain"]}

        def within(method):  # (seeds within Retrain's reach, seeds judged)
            ok = n = 0
            for r in by.get(method, []):
                ref = retrain_by_seed.get(r["seed"])
                if ref is None or r.get("forget_recall@20") is None or ref.get("forget_recall@20") is None:
                    continue
                tol = tolerance(ref["forget_recall@20"], ref.get("forget_recall@20_spread"))
                n += 1
                ok += abs(r["forget_recall@20"] - ref["forget_recall@20"]) <= tol
            return ok, n

        def retain_per_seed(method):  # "+5.3 % (Retrain₂ 1.2 %)" per seed
            out = []
            for r in sorted(by.get(method, []), key=lambda r: r["seed"]):
                ref = retrain_by_seed.get(r["seed"])
                if ref is None or r.get("retain_recall@20") is None or not ref.get("retain_recall@20"):
                    continue
                txt = f"{r['retain_recall@20'] / ref['retain_recall@20'] - 1:+.1%}"
                sp = ref.get("retain_recall@20_spread")
                if sp is not None:
                    txt += f" (Retrain₂ ±{sp / ref['retain_recall@20']:.1%})"
                out.append(txt)
            return ", ".join(out)

        o, rt = m["original"], m["retrain"]
        gap = o["forget_recall@20"] - rt["forget_recall@20"]
        spreads = [r.get("forget_recall@20_spread") for r in by["retrain"]]
        spread_txt = ", ".join("–" if s is None else f"{s:.4f}" for s in spreads)
        print(f"## {regime} ({path}): θ₀ forget R@20 {o['forget_recall@20']:.4f}, Retrain forget "
              f"{rt['forget_recall@20']:.4f} (gap {gap:.4f}; |Retrain − Retrain₂| per seed: {spread_txt}), "
              f"Retrain retain R@20 {rt['retain_recall@20']:.4f}, Retrain {rt['seconds']:.0f} s")
        print("| method | retain R@20 | retain vs Retrain | forget R@20 | within Retrain's reach (seeds) "
              "| forget error / gap | speed-up |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for k, v in m.items():
            if k in ("original", "retrain"):
                continue
            rel = v["retain_recall@20"] / rt["retain_recall@20"] - 1
            err = abs(v["forget_recall@20"] - rt["forget_recall@20"]) / gap if gap > 0 else float("nan")
            ok, n = within(k)
            print(f"| {k} | {v['retain_recall@20']:.4f} | {rel:+.1%} | {v['forget_recall@20']:.4f} | "
                  f"{ok}/{n} | {err:.3f} | {v['speedup_vs_retrain']:.1f}× |")
        verdict = lambda good: "PASS" if good else "FAIL"
        for t_name, u_name in (("tru", "mmrecun"), ("tru-auto", "mmrecun-auto")):
            if t_name not in m:
                continue
            t = m[t_name]
            rel = t["retain_recall@20"] / rt["retain_recall@20"] - 1
            err = abs(t["forget_recall@20"] - rt["forget_recall@20"]) / gap if gap > 0 else float("nan")
            ok, n = within(t_name)
            print(f"- {t_name}: retain within 5% of Retrain: {verdict(abs(rel) <= 0.05)} ({rel:+.1%}; "
                  f"per seed {retain_per_seed(t_name)})")
            print(f"- {t_name}: forget within Retrain's reach: {verdict(n > 0 and ok == n)} ({ok} of {n} seeds)")
            print(f"- {t_name}: forget within 10% of the gap (older rule): {verdict(err <= 0.10)} ({err:.3f} of the gap)")
            print(f"- {t_name}: ≥ 10× faster than Retrain: {verdict(t['speedup_vs_retrain'] >= 10)} "
                  f"({t['speedup_vs_retrain']:.1f}×)")
            if u_name in m:
                u = m[u_name]
                ue = abs(u["forget_recall@20"] - rt["forget_recall@20"])
                te = abs(t["forget_recall@20"] - rt["forget_recall@20"])
                dominated = (u["retain_recall@20"] >= t["retain_recall@20"] and ue <= te and
                             (u["retain_recall@20"] > t["retain_recall@20"] or ue < te))
                print(f"- {t_name}: no worse than {u_name} (not dominated): {verdict(not dominated)} "
                      f"(retain {t['retain_recall@20']:.4f} vs {u['retain_recall@20']:.4f}; "
                      f"|forget − Retrain| {te:.4f} vs {ue:.4f})")
        print()


if __name__ == "__main__":
    main()
