"""Tests of the Python binding (python/src/lethe_module.cpp, python/lethe/__init__.py).

The central check: training in Python on the demo's kind of data gives top-K lists identical to
`lethe eval --topk-out` on a checkpoint trained with the same settings by the `lethe` command
installed beside the module. Needs `pip install .` (the module and the command); the data is a
small synthetic dataset made by `lethe synth` exactly as the demo makes its own (smaller, so the
test takes seconds).
"""
from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import lethe

SETTINGS = {"epochs": 6, "lr": 0.005, "patience": 5}
ENV = dict(os.environ, OMP_WAIT_POLICY="passive")


def lethe_cli() -> str:
    """The `lethe` command of this installation (the wheel puts it beside the interpreter)."""
    here = os.path.join(os.path.dirname(sys.executable), "lethe")
    found = here if os.path.exists(here) else shutil.which("lethe")
    if not found:
        pytest.skip("the lethe command is not installed beside this Python (pip install . installs it)")
    return found


def run(*args: str) -> str:
    return subprocess.run([lethe_cli(), *args], check=True, capture_output=True, text=True, env=ENV).stdout


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> str:
    d = str(tmp_path_factory.mktemp("demo") / "data")
    # The demo's generator and modalities (tools/demo.sh), at a tenth of its size.
    run("synth", "--out", d, "--users", "300", "--items", "160", "--interactions", "3000",
        "--modalities", "image:256,text:64", "--seed", "1", "--quiet")
    return d


def read_lethe_topk(path: str):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert rows and list(rows[0].keys()) == ["user", "rank", "item", "score"]
    return rows


def test_version_and_errors(tmp_path):
    assert lethe.__version__.count(".") == 2
    assert isinstance(lethe.git_commit, str) and lethe.git_commit
    with pytest.raises(lethe.Error, match="nope"):
        lethe.Dataset(str(tmp_path / "nope"))
    assert issubclass(lethe.Error, RuntimeError)


def test_topk_identical_to_lethe_eval(demo_data, tmp_path):
    run_dir = str(tmp_path / "run")
    flags = [f"--{k}={v}" for k, v in SETTINGS.items()]
    run("train", "--data", demo_data, "--model", "mgcn", "--out", run_dir, "--device", "cpu", "--quiet", *flags)
    out = str(tmp_path / "top.tsv")
    run("eval", "--data", demo_data, "--checkpoint", os.path.join(run_dir, "checkpoint"), "--device", "cpu",
        "--topk-out", out, "--topk", "20")
    rows = read_lethe_topk(out)

    data = lethe.Dataset(demo_data)
    model = lethe.train(data, "MGCN", SETTINGS, device="cpu")
    users, items, scores = model.top_k(20)
    assert users.dtype == np.int32 and items.dtype == np.int32 and scores.dtype == np.float32
    assert users.shape == (data.n_users,) and items.shape == (data.n_users, 20) == scores.shape

    cli_items = np.full((data.n_users, 20), -1, dtype=np.int32)
    cli_scores = np.full((data.n_users, 20), -np.inf, dtype=np.float32)
    for r in rows:
        u, k = int(r["user"]), int(r["rank"]) - 1
        cli_items[u, k] = int(r["item"])
        cli_scores[u, k] = np.float32(float(r["score"]))
    np.testing.assert_array_equal(items, cli_items)
    np.testing.assert_array_equal(scores, cli_scores)

    # The same model's metrics agree too.
    py = model.evaluate("test", [10, 20, 50])
    js = str(tmp_path / "m.json")
    run("eval", "--data", demo_data, "--checkpoint", os.path.join(run_dir, "checkpoint"), "--device", "cpu",
        "--json", js)
    import json
    with open(js) as f:
        cli = json.load(f)["test"]
    for k in ("recall@20", "ndcg@20", "precision@10", "map@50", "hit@20", "mrr@20"):
        assert math.isclose(py[k], cli[k], rel_tol=0, abs_tol=1e-12), k


def test_embeddings_scores_and_mmrec_settings(demo_data, tmp_path):
    data = lethe.Dataset(demo_data)
    cfg = tmp_path / "MGCN.yaml"
    cfg.write_text("embedding_size: 32\nlearning_rate: 0.005\nepochs: 3\ncl_loss: [0.01, 0.1]\n"
                   "hyper_parameters: [\"cl_loss\"]\ngpu_id: 0\n")
    model = lethe.train(data, "mgcn", cfg, device="cpu")
    assert "dim = 32" in model.settings and "mgcn.cl = 0.01" in model.settings
    ue, ie = model.user_embeddings(), model.item_embeddings()
    assert ue.shape == (data.n_users, 32) and ie.shape == (data.n_items, 32) and ue.dtype == np.float32
    users, items, scores = model.top_k(5, [3, 1])
    assert list(users) == [1, 3]
    expect = ue[users] @ ie.T
    np.testing.assert_allclose(scores, np.take_along_axis(expect, items, axis=1), rtol=1e-5, atol=1e-6)
    train_u, train_i = data.interactions("train")
    seen = set(zip(train_u.tolist(), train_i.tolist()))
    assert not any((int(u), int(i)) in seen for u, row in zip(users, items) for i in row)


def test_forget_unlearn_audit(demo_data, tmp_path):
    data = lethe.Dataset(demo_data)
    model = lethe.train(data, "lightgcn", SETTINGS, device="cpu")
    req = lethe.ForgetRequest.make(data, "user", 0.05, seed=1)
    assert req.regime == "user" and len(req.users) == 15
    un = model.unlearn(req, "mmrecun", {"unlearn.epochs": 2})
    assert un.method == "mmrecun" and un.epochs == 2
    report = model.audit(un.model, req)
    assert set(report) >= {"retain", "forget", "exposure", "exposure_reduction", "overlap_with_retrain"}
    assert 0.0 <= report["forget"]["recall@20"] <= 1.0
    assert math.isnan(report["overlap_with_retrain"])
    path = str(tmp_path / "un.ckpt")
    un.model.save(path)
    back = lethe.load(data, path, req, device="cpu")
    np.testing.assert_array_equal(back.top_k(5)[1], un.model.top_k(5)[1])
