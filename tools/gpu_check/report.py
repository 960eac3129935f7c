#!/usr/bin/env python3
"""tools/gpu_check/report.py — turns what run.sh left in its work folder into the GPU check's
files under OUT (summary.txt, device.json, tests.txt, sanitizers.txt, bench.json,
agreement.json, log.txt) and its exit code: 0 when every step passed (or, without a GPU, when
only GPU steps were skipped), 1 otherwise. Python 3 standard library only.

The written tolerances of the CPU-vs-CUDA agreement run (TOL below). The two backends sum in
different orders (GEMM, SpMM, reductions, the kNN graph's GEMM), so values agree to float
rounding compounded over every Adam step, and ranking metrics move when a near-tie in a user's
scores flips:
  * per-epoch losses of `lethe train` (loss, bpr, reg, aux): |cuda − cpu| ≤ 1e-6 + 1e-3·|cpu|
    (the test suite allows rtol 1e-3 after 5 steps; these runs take ~90 steps, but training
    damps rather than amplifies such differences over a few epochs);
  * Recall/NDCG/Precision@K of the train run (valid and test, every epoch): |diff| ≤ 0.005
    (TikTok: a top-20 list changing for 1 % of the 3,051 valid users moves Recall@20 by ~0.001);
  * every numeric column of `lethe experiment`'s results.json except times, speed-ups and
    memory: |diff| ≤ 0.01 (two trainings and an unlearning run of rounding differences);
    counts (rows, users, epochs) exactly; TRU's chosen layers are compared and reported.
"""
import argparse
import glob
import json
import math
import os
import re
import sys
import time

TOL = {
    "loss_rtol": 1e-3,
    "loss_atol": 1e-6,
    "train_metric_atol": 0.005,
    "experiment_atol": 0.01,
}

# Claims the run settles: what, and the tests whose outcomes settle it (fnmatch-like patterns).
CLAIMS = [
    ("Host reads and writes through the engine are ordered with the context's queued kernels",
     ["StreamOrder.*"]),
    ("cuSPARSE CSR_ALG3 accepts row-major X and Y and repeats bit for bit (3 repeats)",
     ["CudaVsRef_spmm_cusparse.*", "repeat3"]),
    ("scatter-add: CPU and GPU bit for bit, and repeats", ["CudaVsRef_scatter_add_rows.*", "repeat3"]),
    ("edge dropout: CPU and GPU bit for bit", ["CudaVsRef_edge_dropout.*"]),
    ("Philox draws (negatives, dropout, uniform fills, attention samples): CPU and GPU bit for bit",
     ["CudaVsRef_sample_negatives.*", "CudaVsRef_dropout_forward.*", "CudaVsRef_fill_uniform.*",
      "CudaVsRef_attn_sample_indices.*"]),
    ("top-K: CPU and GPU bit for bit; shared memory opted in above 48 KB (static + dynamic)",
     ["CudaVsRef_topk_rows.*"]),
    ("CPU and CUDA start from bit-identical parameters", ["Backbones/CpuVsCuda.*"]),
    ("A warmed-up training step allocates nothing on the GPU", ["Backbones/StepAllocation.NoneOnceWarmedUpOnCuda/*"]),
    ("The trainer's step on CUDA (batches, negatives, Adam's t and lr read from the device state, losses summed "
     "there) equals the host-stepped step bit for bit (the feature tables' fused update off)",
     ["Backbones/StepRunnerCuda.EqualsTheHostSteppedEpochBitForBit/*"]),
    ("The feature tables' Adam update fused into their gradient's product (gemm_adam_at) agrees with the CPU "
     "reference, and a fused trainer epoch with the unfused one, to rounding",
     ["CudaVsRef_gemm_adam_at.*", "Backbones/StepRunnerCuda.FusedFeatureTableUpdateAgreesWithTheUnfusedOne/*"]),
    ("cuda.graphs: a training step captured once as a CUDA graph and replayed gives exactly the parameters, Adam "
     "moments and losses of eager steps, full and last batch (the setting stays off by default until this passes)",
     ["Backbones/StepRunnerCuda.GraphsReplayEagerBitForBit/*"]),
    ("A warmed-up trainer step allocates nothing on the GPU, eager or replayed as a graph",
     ["Backbones/StepRunnerCuda.AWarmedUpStepAllocatesNothing/*"]),
    ("The step profile's declared kernel launches match the kernel nodes of the captured step (within 25 %)",
     ["Backbones/StepRunnerCuda.DeclaredLaunchesMatchTheCapturedGraph/*"]),
    ("Multi-block segmented squared norms and bias-gradient column sums agree with the CPU and repeat bit for bit",
     ["CudaVsRef_segmented_sqnorm.*", "CudaVsRef_linear_backward.*"]),
    ("A failing op ends only its own benchmark entry", ["BenchRunCuda.*"]),
]

STATUS_RE = re.compile(r"^\[\s+(OK|FAILED|SKIPPED)\s+\] ([^\s,]+)(?:, where .*)? \((\d+) ms\)$")
RUN_RE = re.compile(r"^\[ RUN      \] (\S+)")


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rc_of(path):
    t = read(path).strip()
    return int(t) if re.fullmatch(r"-?\d+", t) else None


def rc_words(rc):
    if rc is None:
        return "did not run"
    if rc in (124, 137):
        return "timed out"
    return "exit %d" % rc


def match(name, pattern):
    rx = "^" + re.escape(pattern).replace(r"\*", ".*") + "$"
    return re.match(rx, name) is not None


def parse_gtest_log(text):
    """Outcome per test from gtest's console output: OK, FAILED, SKIPPED, or UNFINISHED (a RUN
    line without an outcome: the process crashed or was killed there). Failure text per test.
    With --gtest_repeat a failure in any repetition stays a failure."""
    outcome, detail, current, buf = {}, {}, None, []
    for line in text.splitlines():
        m = RUN_RE.match(line)
        if m:
            current, buf = m.group(1), []
            if outcome.get(current) != "FAILED":
                outcome[current] = "UNFINISHED"
            continue
        m = STATUS_RE.match(line)
        if m:
            if outcome.get(m.group(2)) != "FAILED":
                outcome[m.group(2)] = m.group(1)
            if m.group(1) in ("FAILED", "SKIPPED") and buf:
                detail[m.group(2)] = buf[:40]
            current, buf = None, []
            continue
        if current is not None and line.strip():
            buf.append(line)
    for name, o in outcome.items():
        if o == "UNFINISHED" and name == current:
            detail[name] = buf[-40:]
    return outcome, detail


def gpu_tests_of(json_path):
    d = read_json(json_path)
    names = set()
    if not d:
        return names
    for suite in d.get("testsuites", []):
        for t in suite.get("testsuite", []):
            if t.get("needs_gpu") == "yes":
                names.add("%s.%s" % (suite.get("name", ""), t.get("name", "")))
    return names


def fmt_rate(v, unit):
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M")):
        if v >= scale:
            return "%.3g %s%s" % (v / scale, prefix, unit)
    return "%.3g %s" % (v, unit)


# ---- steps ----------------------------------------------------------------------------------------

def tests_step(work, gpu):
    lines, outcomes, problems = [], {}, []
    gpu_names = set()
    binaries = sorted(glob.glob(os.path.join(work, "tests", "lethe_*_tests.log")))
    counts = {"OK": 0, "FAILED": 0, "SKIPPED": 0, "UNFINISHED": 0}
    for log in binaries:
        name = os.path.basename(log)[:-4]
        rc = rc_of(log[:-4] + ".rc")
        out, detail = parse_gtest_log(read(log))
        gpu_names |= gpu_tests_of(log[:-4] + ".json")
        c = {k: sum(1 for v in out.values() if v == k) for k in counts}
        for k in counts:
            counts[k] += c[k]
        outcomes.update(out)
        lines.append("%-22s %-10s %4d passed, %d failed, %d skipped, %d unfinished" %
                     (name, rc_words(rc), c["OK"], c["FAILED"], c["SKIPPED"], c["UNFINISHED"]))
        if rc != 0:
            problems.append("%s: %s" % (name, rc_words(rc)))
        for t, o in sorted(out.items()):
            if o != "OK":
                problems.append("%s %s" % (o.lower(), t))
                lines.append("  %s %s" % (o, t))
                lines.extend("    " + l for l in detail.get(t, []))
    rep_rc = rc_of(os.path.join(work, "tests", "repeat3.rc"))
    rep_out, rep_detail = parse_gtest_log(read(os.path.join(work, "tests", "repeat3.log")))
    rep_bad = sorted(t for t, o in rep_out.items() if o != "OK")
    lines.append("%-22s %-10s %d runs, %d not OK (CudaVsRef_spmm_cusparse, CudaVsRef_scatter_add_rows, --gtest_repeat=3)"
                 % ("repeat3", rc_words(rep_rc), len(rep_out), len(rep_bad)))
    if rep_rc != 0 or rep_bad:
        problems.append("repeat3: %s" % (rc_words(rep_rc) if rep_rc != 0 else ", ".join(rep_bad)))
        for t in rep_bad:
            lines.extend("    " + l for l in rep_detail.get(t, []))
    outcomes["repeat3"] = "OK" if rep_rc == 0 and rep_out and not rep_bad else "FAILED"
    gpu_ok = sum(1 for t in gpu_names if outcomes.get(t) == "OK")
    if not binaries:
        problems.append("no test binary ran")
    verdict = "pass" if not problems else "fail"
    detail = ("%d binaries: %d passed (%d of the %d tests that need a GPU), %d failed, %d skipped, %d unfinished"
              % (len(binaries), counts["OK"], gpu_ok, len(gpu_names), counts["FAILED"], counts["SKIPPED"],
                 counts["UNFINISHED"]))
    header = ["Every test binary, LETHE_EXPECT_GPU=1 (a GPU test cannot skip), each under a timeout.",
              "Tests that need a GPU (needs_gpu=yes in the gtest JSON): %d, passed: %d." % (len(gpu_names), gpu_ok), ""]
    return verdict, detail, header + lines, outcomes, problems


def sanitizers_step(work):
    lines, problems, per_tool = [], [], {}
    for log in sorted(glob.glob(os.path.join(work, "san", "*.log"))):
        shard = os.path.basename(log)[:-4]
        tool = shard.split("-")[0]
        rc = rc_of(log[:-4] + ".rc")
        text = read(log)
        out, detail = parse_gtest_log(text)
        errs = re.findall(r"ERROR SUMMARY: (\d+) error", text)
        nerr = sum(int(e) for e in errs)
        ok = rc == 0 and nerr == 0 and all(o == "OK" for o in out.values())
        t = per_tool.setdefault(tool, [0, 0, 0])
        t[0] += 1
        t[1] += 1 if ok else 0
        t[2] += len(out)
        state = "clean" if ok else ("%d sanitizer error(s)" % nerr if nerr else rc_words(rc))
        if rc in (124, 137):
            state = "timed out after %d test(s): the rest of this shard was not checked" % \
                    sum(1 for o in out.values() if o != "UNFINISHED")
        lines.append("%-14s %-8s %3d tests  %s" % (shard, rc_words(rc), len(out), state))
        if not ok:
            problems.append("%s: %s" % (shard, state))
            reports = [l for l in text.splitlines() if l.startswith("=========")]
            lines.extend("    " + l for l in reports[:60])
            for name, o in sorted(out.items()):
                if o != "OK":
                    lines.append("    %s %s" % (o, name))
                    lines.extend("      " + l for l in detail.get(name, [])[:15])
    if not per_tool:
        return "fail", "no sanitizer shard ran", lines, ["no sanitizer shard ran"]
    detail = ", ".join("%s %d/%d shards clean (%d tests)" % (k, v[1], v[0], v[2]) for k, v in sorted(per_tool.items()))
    return ("pass" if not problems else "fail"), detail, lines, problems


def close(a, b, atol, rtol=0.0):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if a is None or b is None:
        return a is b
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= atol + rtol * abs(b)


SKIP_KEY = re.compile(r"second|speedup|peak|bytes|time|date|device|path|command", re.I)


def numeric_leaves(x, prefix=""):
    out = {}
    if isinstance(x, dict):
        for k, v in x.items():
            out.update(numeric_leaves(v, prefix + "/" + str(k)))
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        out[prefix] = float(x)
    return out


def agreement_step(work):
    res = {"tolerances": TOL, "train": {}, "experiment": {}}
    problems = []
    cpu, cuda = os.path.join(work, "agree-cpu"), os.path.join(work, "agree-cuda")
    for part in ("train", "experiment"):
        for dev, d in (("cpu", cpu), ("cuda", cuda)):
            rc = rc_of(os.path.join(d, part + ".rc"))
            res[part][dev + "_exit"] = rc_words(rc)
            if rc != 0:
                problems.append("%s on %s: %s: %s" % (part, dev, rc_words(rc),
                                                      " | ".join(read(os.path.join(d, part + ".log")).splitlines()[-3:])))
    # lethe train: per-epoch losses and metrics.
    worst = {"loss_rel": 0.0, "metric_abs": 0.0}
    rows = []
    epochs = [[json.loads(l) for l in read(os.path.join(d, "train", "log.jsonl")).splitlines() if l.strip()]
              for d in (cpu, cuda)]
    if epochs[0] and epochs[1]:
        if len(epochs[0]) != len(epochs[1]):
            problems.append("train: %d epochs on cpu, %d on cuda" % (len(epochs[0]), len(epochs[1])))
        for a, b in zip(epochs[0], epochs[1]):
            row = {"epoch": a.get("epoch")}
            for k in ("loss", "bpr", "reg", "aux"):
                if k in a and k in b:
                    row[k] = {"cpu": a[k], "cuda": b[k]}
                    worst["loss_rel"] = max(worst["loss_rel"], abs(b[k] - a[k]) / max(abs(a[k]), 1e-12))
                    if not close(b[k], a[k], TOL["loss_atol"], TOL["loss_rtol"]):
                        problems.append("train epoch %s %s: cuda %.8g vs cpu %.8g" % (a.get("epoch"), k, b[k], a[k]))
            for split in ("valid", "test"):
                la, lb = numeric_leaves(a.get(split, {})), numeric_leaves(b.get(split, {}))
                for k in sorted(set(la) & set(lb)):
                    if k.endswith("/users"):
                        if la[k] != lb[k]:
                            problems.append("train epoch %s %s%s: %g vs %g" % (a.get("epoch"), split, k, lb[k], la[k]))
                        continue
                    worst["metric_abs"] = max(worst["metric_abs"], abs(lb[k] - la[k]))
                    row[split + k] = {"cpu": la[k], "cuda": lb[k]}
                    if not close(lb[k], la[k], TOL["train_metric_atol"]):
                        problems.append("train epoch %s %s%s: cuda %.5f vs cpu %.5f" % (a.get("epoch"), split, k, lb[k], la[k]))
            rows.append(row)
    elif not problems:
        problems.append("train: no log.jsonl to compare")
    res["train"].update({"epochs": rows, "max_loss_rel_diff": worst["loss_rel"],
                         "max_metric_abs_diff": worst["metric_abs"]})
    # lethe experiment: every row's numeric columns.
    ra = read_json(os.path.join(cpu, "experiment", "results.json")) or []
    rb = read_json(os.path.join(cuda, "experiment", "results.json")) or []
    key = lambda r: (r.get("method"), r.get("regime"), r.get("seed"))
    ib = {key(r): r for r in rb if isinstance(r, dict)}
    worst_e, compared, notes = 0.0, [], []
    for a in ra:
        if not isinstance(a, dict):
            continue
        b = ib.get(key(a))
        if b is None:
            problems.append("experiment: no cuda row for %s" % (key(a),))
            continue
        if a.get("status") != "ok" or b.get("status") != "ok":
            problems.append("experiment %s: status cpu %s, cuda %s %s" % (key(a), a.get("status"), b.get("status"),
                                                                         b.get("error") or a.get("error") or ""))
        row = {"method": a.get("method"), "regime": a.get("regime"), "seed": a.get("seed")}
        for k in sorted(set(a) & set(b)):
            va, vb = a[k], b[k]
            if SKIP_KEY.search(k) or isinstance(va, bool) or not isinstance(va, (int, float)) or not isinstance(vb, (int, float)):
                continue
            row[k] = {"cpu": va, "cuda": vb}
            if isinstance(va, int) and isinstance(vb, int):
                if va != vb:
                    problems.append("experiment %s %s: cuda %d vs cpu %d" % (a.get("method"), k, vb, va))
                continue
            worst_e = max(worst_e, abs(vb - va))
            if not close(float(vb), float(va), TOL["experiment_atol"]):
                problems.append("experiment %s %s: cuda %.5f vs cpu %.5f" % (a.get("method"), k, vb, va))
        if a.get("selected_layers") != b.get("selected_layers"):
            notes.append("%s: TRU chose different layers (cpu %s, cuda %s)" % (a.get("method"), a.get("selected_layers"),
                                                                              b.get("selected_layers")))
        compared.append(row)
    if not ra and not any(p.startswith("experiment") for p in problems):
        problems.append("experiment: no results.json to compare")
    res["experiment"].update({"rows": compared, "max_abs_diff": worst_e, "notes": notes})
    res["problems"] = problems
    detail = ("train: %d epochs, max loss rel diff %.2g (tol %g), max metric diff %.4f (tol %g); "
              "experiment: %d rows, max diff %.4f (tol %g)%s"
              % (len(rows), worst["loss_rel"], TOL["loss_rtol"], worst["metric_abs"], TOL["train_metric_atol"],
                 len(compared), worst_e, TOL["experiment_atol"], ("; " + "; ".join(notes)) if notes else ""))
    return ("pass" if not problems else "fail"), detail, res, problems


def read_bench_json(path):
    """Google Benchmark's JSON file; one cut short by a timeout is closed after its last complete
    entry, so the entries that did finish are kept."""
    d = read_json(path)
    if d is not None:
        return d
    text = read(path)
    cut = text.rfind("\n    }")
    if cut < 0:
        return {}
    try:
        d = json.loads(text[:cut + 6] + "\n  ]\n}")
        d["cut_short"] = True
        return d
    except ValueError:
        return {}


def bench_step(work, ceilings):
    c = (ceilings or {}).get("ceilings", {})
    bw = c.get("d2d_copy", {}).get("bytes_per_s")
    fl = c.get("sgemm", {}).get("flops_per_s")
    out = {"ceilings": c, "kernels": [], "backbones": [], "how": (
        "fraction_of_ceiling = max(bytes/s ÷ the D2D copy rate, FLOP/s ÷ the plain-FP32 SGEMM rate): "
        "how close the op comes to the resource it is nearest to saturating")}
    problems, fracs, errors = [], [], 0
    for part in ("kernels", "backbones"):
        rc = rc_of(os.path.join(work, "bench-%s.rc" % part))
        if rc != 0:
            problems.append("%s benchmarks: %s" % (part, rc_words(rc)))
        d = read_bench_json(os.path.join(work, "bench-%s.json" % part))
        out.setdefault("context", d.get("context"))
        if d.get("cut_short"):
            problems.append("%s benchmarks: cut short; the entries that finished are kept" % part)
        for b in d.get("benchmarks", []):
            e = {k: b.get(k) for k in ("name", "real_time", "time_unit", "iterations")}
            if b.get("error_occurred"):
                e["error"] = b.get("error_message")
                errors += 1
                problems.append("%s: %s" % (b.get("name"), b.get("error_message")))
            for k in ("bytes", "flops", "items_per_second", "loss", "recall@20", "batch", "users"):
                if k in b:
                    e[k + ("_per_s" if k in ("bytes", "flops") else "")] = b[k]
            fb = b["bytes"] / bw if bw and b.get("bytes") else None
            ff = b["flops"] / fl if fl and b.get("flops") else None
            if fb is not None:
                e["fraction_of_copy_bw"] = round(fb, 4)
            if ff is not None:
                e["fraction_of_sgemm"] = round(ff, 4)
            if fb is not None or ff is not None:
                e["fraction_of_ceiling"] = round(max(x for x in (fb, ff) if x is not None), 4)
                fracs.append(e["fraction_of_ceiling"])
            out[part].append(e)
    fracs.sort()
    detail = "%d kernel entries, %d backbone entries, %d errors; fraction of ceiling: median %s, min %s" % (
        len(out["kernels"]), len(out["backbones"]), errors,
        "%.2f" % fracs[len(fracs) // 2] if fracs else "-", "%.2f" % fracs[0] if fracs else "-")
    # The training-step profile on TikTok (lethe_step_profile --device cuda --graphs): measured epochs
    # op by op and replayed as graphs beside the prediction, and the graph's kernel nodes beside the
    # declared launches.
    rc = rc_of(os.path.join(work, "step-profile.rc"))
    sp = read_json(os.path.join(work, "step-profile.json"))
    if rc is not None:
        if rc != 0 or not sp:
            problems.append("step profile: %s" % rc_words(rc))
        else:
            rows = []
            for m in sp.get("models", []):
                rows.append({k: m.get(k) for k in (
                    "model", "steps_per_epoch", "measured_epoch_eager_s", "measured_epoch_graph_s",
                    "h100_predicted_epoch_s", "h100_predicted_epoch_graph_s", "graph_kernel_nodes",
                    "host_launches_per_step_captured")})
                rows[-1]["declared_launches"] = m.get("trainer_step", {}).get("cuda_launches")
                ev = m.get("evaluation") or {}
                rows[-1]["evaluation_s"] = ev.get("wall_seconds")
                rows[-1]["evaluation_predicted_s"] = ev.get("h100_predicted_s")
            out["step_profile"] = {"device": sp.get("device"), "data": sp.get("data"), "models": rows}
            detail += "; step profile: " + ", ".join(
                "%s epoch %s ms op by op, %s ms as graphs" % (
                    r["model"],
                    "%.1f" % (1e3 * r["measured_epoch_eager_s"]) if r.get("measured_epoch_eager_s") else "-",
                    "%.1f" % (1e3 * r["measured_epoch_graph_s"]) if r.get("measured_epoch_graph_s") else "-")
                for r in rows)
    if not out["kernels"]:
        problems.append("no kernel benchmark result")
    return ("pass" if not problems else "fail"), detail, out, problems


# ---- main -------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gpu", type=int, required=True)
    ap.add_argument("--elapsed", type=int, default=0)
    a = ap.parse_args()
    work, out, gpu = a.work, a.out, a.gpu == 1
    steps = [l.split("\t", 2) for l in read(os.path.join(work, "steps.tsv")).splitlines() if l.count("\t") >= 2]
    manifest = read_json(os.path.join(a.pack, "MANIFEST.json")) or {}
    ceilings = read_json(os.path.join(work, "ceilings.json"))

    device = {
        "lethe_info": read(os.path.join(work, "info.txt")).splitlines(),
        "nvidia_smi": read(os.path.join(work, "nvidia-smi.txt")).strip(),
        "compute_sanitizer": read(os.path.join(work, "sanitizer-version.txt")).strip().splitlines()[-1:],
        "cuda_library_dirs": read(os.path.join(work, "libdirs.txt")).split(),
        "host": {"kernel": os.uname().release, "cpus": os.cpu_count()},
        "pack": manifest,
    }
    if ceilings:
        device.update(ceilings)
    with open(os.path.join(out, "device.json"), "w") as f:
        json.dump(device, f, indent=2)

    verdicts, extra_files = [], {}
    all_problems = []
    outcomes = {}
    for name, status, detail in steps:
        if status != "done":
            verdicts.append((name, status, detail))
            if status == "fail":
                all_problems.append("%s: %s" % (name, detail))
            continue
        if name == "tests":
            v, d, lines, outcomes, probs = tests_step(work, gpu)
            extra_files["tests.txt"] = "\n".join(lines) + "\n"
        elif name == "sanitizers":
            v, d, lines, probs = sanitizers_step(work)
            extra_files["sanitizers.txt"] = ("compute-sanitizer on lethe_kernel_tests: memcheck on every "
                                             "CudaVsRef_ test, racecheck and synccheck on the kernels with shared "
                                             "memory or warp synchronisation; sharded with GTEST_SHARD_INDEX.\n\n"
                                             + "\n".join(lines) + "\n")
        elif name == "agreement":
            v, d, res, probs = agreement_step(work)
            extra_files["agreement.json"] = json.dumps(res, indent=2) + "\n"
        elif name == "benchmarks":
            v, d, res, probs = bench_step(work, ceilings)
            extra_files["bench.json"] = json.dumps(res, indent=2) + "\n"
        else:
            v, d, probs = "fail", "unknown step", ["unknown step " + name]
        verdicts.append((name, v, d))
        all_problems += ["%s: %s" % (name, p) for p in probs]
    for fname, text in extra_files.items():
        with open(os.path.join(out, fname), "w") as f:
            f.write(text)

    # log.txt: the tail of every step's output.
    logs = sorted(glob.glob(os.path.join(work, "**", "*.log"), recursive=True)) + \
        sorted(glob.glob(os.path.join(work, "*.err"))) + [os.path.join(work, "info.txt")]
    with open(os.path.join(out, "log.txt"), "w") as f:
        for p in logs:
            lines = read(p).splitlines()
            f.write("==== %s (last %d of %d lines)\n" % (os.path.relpath(p, work), min(len(lines), 150), len(lines)))
            f.write("\n".join(lines[-150:]) + "\n")

    failed = [v for v in verdicts if v[1] == "fail"]
    skipped = [v for v in verdicts if v[1] == "skip"]
    if gpu:
        ok = not failed and not skipped
    else:  # without a GPU only the GPU steps may skip; the pack itself must be sound
        ok = not failed
    s = []
    s.append("Lethe GPU check — %s, %d s, pack %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), a.elapsed,
                                                   manifest.get("commit", "?")))
    for l in device["lethe_info"]:
        if l.startswith("CUDA"):
            s.append("  " + l)
    if device["nvidia_smi"]:
        s.append("  nvidia-smi: " + device["nvidia_smi"].splitlines()[0])
    if ceilings and "versions" in ceilings:
        v = ceilings["versions"]
        s.append("  runtime %s, driver API %s, cuBLAS %s, cuSPARSE %s; built with %s" % (
            v.get("runtime"), v.get("driver_api"), v.get("cublas"), v.get("cusparse"), manifest.get("nvcc", "?")))
    if ceilings and "ceilings" in ceilings:
        c = ceilings["ceilings"]
        s.append("  ceilings: D2D copy %s, SGEMM (FP32) %s, TF32 GEMM %s" % (
            fmt_rate(c["d2d_copy"]["bytes_per_s"], "B/s"), fmt_rate(c["sgemm"]["flops_per_s"], "FLOP/s"),
            fmt_rate(c["tf32_gemm"]["flops_per_s"], "FLOP/s")))
    s.append("")
    s.append("%-12s %-8s %s" % ("step", "verdict", "detail"))
    for name, v, d in verdicts:
        s.append("%-12s %-8s %s" % (name, v, d))
    if gpu:
        s.append("")
        s.append("claims")
        for what, pats in CLAIMS:
            names = [t for t in outcomes if any(match(t, p) for p in pats)]
            missing = [p for p in pats if not any(match(t, p) for t in outcomes)]
            bad = [t for t in names if outcomes[t] != "OK"]
            state = "refuted or broken" if bad else ("not settled" if missing or not names else "settled")
            s.append("  %-18s %s  [%s]%s" % (state, what, ", ".join(pats),
                                            (" — not OK: " + ", ".join(bad[:6])) if bad else
                                            (" — no such test ran: " + ", ".join(missing)) if missing else ""))
    if all_problems:
        s.append("")
        s.append("problems (%d; details in tests.txt, sanitizers.txt, agreement.json, bench.json, log.txt)" % len(all_problems))
        s.extend("  - " + p for p in all_problems[:60])
    s.append("")
    if gpu:
        s.append("verdict: %s" % ("PASS — every step passed" if ok else "FAIL — see the problems above"))
    else:
        s.append("verdict: %s" % ("NO GPU — every GPU step skipped, for the reason given; the pack itself is sound"
                                  if ok else "FAIL — the pack itself is broken (see above)"))
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(s) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
