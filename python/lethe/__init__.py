"""Lethe: multimodal recommendation unlearning (a C++ engine; this is its Python binding).

    import lethe
    data = lethe.Dataset("demo-data")
    model = lethe.train(data, "mgcn", {"lr": 0.005, "epochs": 40})
    users, items, scores = model.top_k(20)        # NumPy arrays, train items masked
    req = lethe.ForgetRequest.make(data, "user", 0.05, seed=1)
    unlearned = model.unlearn(req, "tru")
    print(model.audit(unlearned.model, req))

Settings are Lethe's names (`lethe train --help`) or the MMRec toolbox's (learning_rate,
embedding_size, ...), given as a dict, a YAML / `key = value` file path, or a Settings object.
Errors raise lethe.Error (a RuntimeError) naming what was wrong.
"""
import os as _os

# libgomp reads OMP_WAIT_POLICY once, when the native module loads it. Spinning idle threads cost
# several times the run time on a busy machine, and a Python process has no pre-initialiser like
# the lethe program's (kernels/omp_preinit.cpp), so the passive policy is set here, before the
# import, unless the user chose one.
_os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from ._lethe import (  # noqa: F401  (re-exported)
    Dataset,
    Error,
    ForgetRequest,
    Recommender,
    Settings,
    Unlearned,
    __version__,
    git_commit,
    make_synthetic,
)

#: Trains a backbone: ``train(data, model, settings=None, device="auto", progress=False)``.
train = Recommender.train
#: Loads a checkpoint: ``load(data, checkpoint, request=None, device="auto")``.
load = Recommender.load

__all__ = ["Dataset", "Error", "ForgetRequest", "Recommender", "Settings", "Unlearned", "__version__",
           "git_commit", "load", "make_synthetic", "train"]
