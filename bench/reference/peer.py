#!/usr/bin/env python3
"""bench/reference/peer.py — the PyTorch peer of Lethe's LightGCN and MGCN, structured the way
the MMRec toolbox structures them: the whole graph propagated with torch.sparse.mm (COO
matrices) at every batch, MGCN's feature tables trainable nn.Embedding weights, its kNN item
graphs built from the raw features with torch.topk and symmetric normalisation, Adam, batches
of 2048 shuffled train rows with one negative each, lr x 0.96^(epoch/50). The losses are Lethe's
(docs/MODELS.md: BPR as mean softplus(s_neg - s_pos), the squared-norm regulariser / B, MGCN's InfoNCE
terms), so that the autograd cross-check compares the same mathematics.

  peer.py train --data DIR --model lightgcn|mgcn --epochs N [--threads T] [--inter FILE] [--json FILE]
      trains N epochs (no evaluation) and prints one JSON line per epoch with its wall time and the
      process's CPU time.
  peer.py check --dump FILE --checkpoint CKPT --data DIR [--inter FILE] [--json FILE]
      the autograd cross-check: loads Lethe's parameters from CKPT and the fixed batch, Lethe's
      losses and gradients from FILE (written by lethe_grad_dump), recomputes the loss terms and
      every parameter's gradient with autograd, and reports the largest differences (exit 1 when
      they exceed the tolerance).

Differences from MMRec's own code, none of which slows the peer down: negatives are drawn with
NumPy in one vectorised pass per batch (MMRec loops in Python); no evaluation runs between epochs.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lethe_format as lf  # noqa: E402

DEFAULTS = {"dim": 64, "lightgcn.layers": 3, "lightgcn.reg": 1e-4, "mgcn.ui_layers": 2, "mgcn.ii_layers": 1,
            "mgcn.knn_k": 10, "mgcn.reg": 1e-4, "mgcn.cl": 0.01, "mgcn.tau": 0.2, "lr": 1e-3, "batch_size": 2048,
            "lr_decay": 0.96, "lr_decay_epochs": 50}


# ---- graphs (MMRec's constructions) ------------------------------------------------------------

def sparse(rows, cols, vals, shape):
    i = torch.from_numpy(np.vstack([rows, cols]).astype(np.int64))
    return torch.sparse_coo_tensor(i, torch.from_numpy(vals.astype(np.float32)), shape,
                                   check_invariants=True).coalesce()


def norm_adj(n_users, n_items, users, items):
    """Â = D^-1/2 A D^-1/2 of the bipartite train graph, and R̂ (its user->item block) and R̂ᵀ."""
    n = n_users + n_items
    deg = np.bincount(users, minlength=n_users).astype(np.float64)
    deg = np.concatenate([deg, np.bincount(items, minlength=n_items).astype(np.float64)])
    dinv = np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1)), 0.0)
    w = dinv[users] * dinv[n_users + items]
    A = sparse(np.concatenate([users, n_users + items]), np.concatenate([n_users + items, users]),
               np.concatenate([w, w]), (n, n))
    R = sparse(users, items, w, (n_users, n_items))
    return A, R


def knn_graph(feat, k):
    """MMRec's build_sim + build_knn_normalized_graph(norm_type='sym')."""
    x = torch.from_numpy(feat)
    xn = x / x.norm(p=2, dim=-1, keepdim=True)
    sim = xn @ xn.T
    val, ind = torch.topk(sim, k, dim=-1)
    rows = torch.arange(x.shape[0]).repeat_interleave(k)
    cols, v = ind.reshape(-1), val.reshape(-1)
    deg = torch.zeros(x.shape[0]).index_add_(0, rows, v)
    dinv = deg.pow(-0.5)
    dinv[torch.isinf(dinv)] = 0
    w = dinv[rows] * v * dinv[cols]
    return torch.sparse_coo_tensor(torch.vstack([rows, cols]), w, (x.shape[0], x.shape[0]),
                                   check_invariants=True).coalesce()


# ---- models ------------------------------------------------------------------------------------

def bpr_reg(u, p, n, reg):
    pos, neg = (u * p).sum(1), (u * n).sum(1)
    rank = F.softplus(neg - pos).mean()
    B = u.shape[0]
    return rank, reg * 0.5 * ((u ** 2).sum() + (p ** 2).sum() + (n ** 2).sum()) / B


class LightGCN(torch.nn.Module):
    def __init__(self, ds, cfg, A):
        super().__init__()
        d = int(cfg["dim"])
        self.nu, self.ni, self.layers, self.reg, self.A = ds.n_users, ds.n_items, int(cfg["lightgcn.layers"]), float(cfg["lightgcn.reg"]), A
        self.user_emb = torch.nn.Embedding(self.nu, d)
        self.item_emb = torch.nn.Embedding(self.ni, d)
        torch.nn.init.xavier_uniform_(self.user_emb.weight)
        torch.nn.init.xavier_uniform_(self.item_emb.weight)

    def forward(self):
        e = torch.cat([self.user_emb.weight, self.item_emb.weight], 0)
        outs = [e]
        for _ in range(self.layers):
            e = torch.sparse.mm(self.A, e)
            outs.append(e)
        fin = torch.stack(outs, 1).mean(1)
        return torch.split(fin, [self.nu, self.ni])

    def loss(self, u, p, n):
        users, items = self.forward()
        rank = F.softplus((users[u] * items[n]).sum(1) - (users[u] * items[p]).sum(1)).mean()
        B = u.shape[0]
        reg = self.reg * 0.5 * ((self.user_emb.weight[u] ** 2).sum() + (self.item_emb.weight[p] ** 2).sum()
                                + (self.item_emb.weight[n] ** 2).sum()) / B
        return {"total": rank + reg, "rank": rank, "reg": reg}


class MGCN(torch.nn.Module):
    def __init__(self, ds, cfg, A, R, knn):
        super().__init__()
        d = int(cfg["dim"])
        self.nu, self.ni, self.A, self.R, self.knn = ds.n_users, ds.n_items, A, R, knn
        self.ui_layers, self.ii_layers = int(cfg["mgcn.ui_layers"]), int(cfg["mgcn.ii_layers"])
        self.reg, self.cl, self.tau = float(cfg["mgcn.reg"]), float(cfg["mgcn.cl"]), float(cfg["mgcn.tau"])
        self.mods = list(ds.features)
        self.user_emb = torch.nn.Embedding(self.nu, d)
        self.item_emb = torch.nn.Embedding(self.ni, d)
        torch.nn.init.xavier_uniform_(self.user_emb.weight)
        torch.nn.init.xavier_uniform_(self.item_emb.weight)
        self.feat = torch.nn.ModuleDict({m: torch.nn.Embedding.from_pretrained(torch.from_numpy(ds.features[m]), freeze=False) for m in self.mods})
        self.proj = torch.nn.ModuleDict({m: torch.nn.Linear(ds.features[m].shape[1], d) for m in self.mods})
        self.purifier = torch.nn.ModuleDict({m: torch.nn.Linear(d, d) for m in self.mods})
        self.prefer = torch.nn.ModuleDict({m: torch.nn.Linear(d, d) for m in self.mods})
        self.q1 = torch.nn.Linear(d, d)
        self.q2 = torch.nn.Linear(d, 1, bias=False)

    def forward(self):
        eid = self.item_emb.weight
        h = torch.cat([self.user_emb.weight, eid], 0)
        hs = [h]
        for _ in range(self.ui_layers):
            h = torch.sparse.mm(self.A, h)
            hs.append(h)
        content = torch.stack(hs, 1).mean(1)
        hm, att = [], []
        for m in self.mods:
            f = self.proj[m](self.feat[m].weight)
            pur = eid * torch.sigmoid(self.purifier[m](f))
            for _ in range(self.ii_layers):
                pur = torch.sparse.mm(self.knn[m], pur)
            hu = torch.sparse.mm(self.R, pur)
            h = torch.cat([hu, pur], 0)
            hm.append(h)
            att.append(self.q2(torch.tanh(self.q1(h))))
        alpha = torch.softmax(torch.cat(att, -1), -1)
        common = sum(alpha[:, k:k + 1] * hm[k] for k in range(len(hm)))
        side = common
        for k, m in enumerate(self.mods):
            side = side + torch.sigmoid(self.prefer[m](content)) * (hm[k] - common)
        side = side / (len(self.mods) + 1)
        fin = content + side
        return fin, side, content

    @staticmethod
    def infonce(x, y, tau):
        x, y = F.normalize(x, dim=1), F.normalize(y, dim=1)
        logits = x @ y.T / tau
        return (torch.logsumexp(logits, 1) - (x * y).sum(1) / tau).mean()

    def loss(self, u, p, n):
        fin, side, content = self.forward()
        users, items = torch.split(fin, [self.nu, self.ni])
        ue, pe, ne = users[u], items[p], items[n]
        rank, reg = bpr_reg(ue, pe, ne, self.reg)
        out = {"rank": rank, "reg": reg, "total": rank + reg}
        if self.cl > 0:
            su, si = torch.split(side, [self.nu, self.ni])
            cu, ci = torch.split(content, [self.nu, self.ni])
            aux = self.cl * (self.infonce(si[p], ci[p], self.tau) + self.infonce(su[u], cu[u], self.tau))
            out["aux"] = aux
            out["total"] = out["total"] + aux
        return out


def build(model, ds, cfg, knn_override=None):
    users, items = ds.train
    A, R = norm_adj(ds.n_users, ds.n_items, users, items)
    if model == "lightgcn":
        return LightGCN(ds, cfg, A)
    knn = knn_override or {m: knn_graph(ds.features[m], int(cfg["mgcn.knn_k"])) for m in ds.features}
    return MGCN(ds, cfg, A, R, knn)


# ---- training ----------------------------------------------------------------------------------

def train(args):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    ds = lf.Dataset(args.data, args.inter, load_features=args.model == "mgcn")
    cfg = dict(DEFAULTS)
    t0 = time.perf_counter()
    model = build(args.model, ds, cfg)
    setup = time.perf_counter() - t0
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    users, items = ds.train
    n = users.shape[0]
    # Each user's train items, for rejection sampling of negatives (items seen in train only).
    order = np.lexsort((items, users))
    su, si = users[order], items[order]
    key = su * ds.n_items + si
    pool = np.unique(items)
    rng = np.random.default_rng(args.seed)
    bs = int(cfg["batch_size"])
    out = []
    for epoch in range(args.epochs):
        for g in opt.param_groups:
            g["lr"] = cfg["lr"] * cfg["lr_decay"] ** (epoch / cfg["lr_decay_epochs"])
        t, c = time.perf_counter(), time.process_time()
        perm = rng.permutation(n)
        total = 0.0
        nb = (n + bs - 1) // bs
        model.train()
        for b in range(nb):
            idx = perm[b * bs:(b + 1) * bs]
            u, p = users[idx], items[idx]
            neg = pool[rng.integers(0, pool.size, u.size)]
            bad = np.isin(u * ds.n_items + neg, key, assume_unique=False)
            while bad.any():
                neg[bad] = pool[rng.integers(0, pool.size, int(bad.sum()))]
                bad = np.isin(u * ds.n_items + neg, key)
            opt.zero_grad()
            L = model.loss(torch.from_numpy(u), torch.from_numpy(p), torch.from_numpy(neg))
            L["total"].backward()
            opt.step()
            total += L["total"].item() / nb
        sec, cpu = time.perf_counter() - t, time.process_time() - c
        rec = {"tool": "pytorch", "model": args.model, "epoch": epoch + 1, "seconds": sec, "cpu_seconds": cpu, "loss": total,
               "threads": torch.get_num_threads(), "setup_seconds": setup}
        print(json.dumps(rec), flush=True)
        out.append(rec)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


# ---- autograd cross-check ------------------------------------------------------------------------

def check(args):
    torch.set_num_threads(args.threads)
    meta, tens = lf.read_checkpoint(args.checkpoint)
    dmeta, dump = lf.read_checkpoint(args.dump)
    model_name = meta["model"]
    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in lf.parse_config(meta["config"]).items()})
    ds = lf.Dataset(args.data, args.inter, load_features=model_name == "mgcn")
    knn = None
    if model_name == "mgcn":  # Lethe's kNN graphs, so the check isolates the model's maths
        knn = {}
        for m in ds.features:
            rp, col, val = (dump[f"knn.{m}.{x}"].reshape(-1) for x in ("rowptr", "col", "val"))
            rows = np.repeat(np.arange(rp.size - 1), np.diff(rp))
            knn[m] = sparse(rows, col, val.astype(np.float64), (ds.n_items, ds.n_items))
    model = build(model_name, ds, cfg, knn)
    # Lethe's parameters, by name (double precision: the check measures Lethe's f32 error).
    params = lf.slab_tensors(tens["params"], meta["layout"])
    grads = lf.slab_tensors(dump["grads"], meta["layout"])
    names = {"user_emb": "user_emb.weight", "item_emb": "item_emb.weight", "query.W1": "q1.weight",
             "query.b1": "q1.bias", "query.w2": "q2.weight"}
    for m in ds.features:
        names.update({f"{m}.feat": f"feat.{m}.weight", f"{m}.proj.W": f"proj.{m}.weight", f"{m}.proj.b": f"proj.{m}.bias",
                      f"{m}.purifier.W": f"purifier.{m}.weight", f"{m}.purifier.b": f"purifier.{m}.bias",
                      f"{m}.prefer.W": f"prefer.{m}.weight", f"{m}.prefer.b": f"prefer.{m}.bias"})
    model = model.double()
    model.A = model.A.double()
    if model_name == "mgcn":
        model.R = model.R.double()
        model.knn = {m: g.double() for m, g in model.knn.items()}
    tp = dict(model.named_parameters())

    def is_linear_weight(lname):  # Lethe stores a linear layer's W as in×out, torch as out×in
        tn = names[lname]
        return tn.endswith(".weight") and not tn.startswith(("user_emb", "item_emb", "feat."))

    def to_torch(lname, a):
        t = torch.from_numpy(a.astype(np.float64))
        return t.T.contiguous() if is_linear_weight(lname) else t

    with torch.no_grad():
        for lname, a in params.items():
            tp[names[lname]].copy_(to_torch(lname, a).reshape(tp[names[lname]].shape))
    u, p, n = (torch.from_numpy(dump[f"batch.{x}"].reshape(-1).astype(np.int64)) for x in ("users", "pos", "neg"))
    L = model.loss(u, p, n)
    L["total"].backward()
    report = {"model": model_name, "batch": int(u.numel()), "loss": {}, "grads": {}, "pass": True}
    tol_loss, tol_grad, tol_floor = 1e-4, 1e-3, 1e-6  # Lethe computes in f32, the peer in f64
    for k, v in L.items():
        lv = float(dmeta[f"loss.{k}"])
        rel = abs(v.item() - lv) / max(abs(v.item()), 1e-12)
        report["loss"][k] = {"lethe": lv, "pytorch": v.item(), "rel_diff": rel}
        report["pass"] &= rel <= tol_loss
    refs = {}
    for lname, g in grads.items():
        tg = tp[names[lname]].grad
        if tg is None:
            refs[lname] = np.zeros(g.shape)
        else:
            refs[lname] = (tg.T if is_linear_weight(lname) else tg).reshape(g.shape).numpy()
    # A gradient may be the near-total cancellation of many terms (MGCN's attention-query bias: a
    # shift shared by both modalities' logits barely moves their softmax), where f32 rounding is
    # of the size of the terms, not of the result: the bound is relative to the tensor's own
    # largest entry plus a floor relative to the largest gradient entry of the whole model.
    gmax = max(float(np.abs(r).max()) for r in refs.values())
    for lname, g in grads.items():
        ref = refs[lname]
        scale = max(float(np.abs(ref).max()), 1e-30)
        err = float(np.abs(g.astype(np.float64) - ref).max())
        ok = err <= tol_grad * scale + tol_floor * gmax
        report["grads"][lname] = {"max_abs": float(np.abs(ref).max()), "max_abs_diff": err,
                                  "rel_max_diff": err / scale, "pass": bool(ok)}
        report["pass"] &= ok
    report["tolerance"] = {"loss_rel": tol_loss, "grad_rel_to_own_max": tol_grad, "grad_floor_rel_to_model_max": tol_floor,
                           "model_grad_max": gmax}
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0 if report["pass"] else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--inter")
    t.add_argument("--model", choices=["lightgcn", "mgcn"], required=True)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--seed", type=int, default=2026)
    t.add_argument("--json")
    c = sub.add_parser("check")
    c.add_argument("--dump", required=True)
    c.add_argument("--checkpoint", required=True)
    c.add_argument("--data", required=True)
    c.add_argument("--inter")
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("--json")
    a = ap.parse_args()
    if a.cmd == "train":
        train(a)
        return 0
    return check(a)


if __name__ == "__main__":
    sys.exit(main())
