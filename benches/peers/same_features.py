#!/usr/bin/env python3
"""demarche's trainer against scikit-learn's on the same features and the same objective.

`compare.py` sets each peer's whole recipe side by side, each with its own features.
This script isolates the solver: `examples/same_features.rs` writes the exact rows
`train` fits with its defaults (tf-idf stems and stem pairs, empty words muted, verbs
folded) and fits them with demarche's sparse trainer, timed inside the process; then
scikit-learn's `LogisticRegression` (multinomial, lbfgs, C = 1/α, intercepts not
penalized: the same objective) fits the same file, timed the same way. Both on one
core.

scikit-learn minimizes the objective divided by the number of sentences and stops when
the largest entry of that gradient is below `tol` (or when the objective stops
falling, L-BFGS-B's `ftol`); demarche (like linfa-logistic) stops when the Euclidean
norm of the undivided gradient is below 1e-4. So scikit-learn runs twice: with its
default `tol` (1e-4, a far looser stop) and with `tol` = 1e-4 / n, which asks of the
largest gradient entry what demarche asks of the whole norm, still a looser stop
(the largest entry is never more than the norm).
Each solution is then scored by the objective itself (the undivided sum of the losses
plus α/2‖W‖², computed here in float64) and its gradient norm, so that every row says
how close to the minimum it got, not only how fast.

Setup:  pip install -r benches/peers/requirements.txt
Run:    cargo build --release --example same_features && python3 benches/peers/same_features.py [DATA...]

DATA (files or folders, as for `train --data`, relative to the current directory)
defaults to `data/train`;
`data/train/constructed` is the 2,383 sentences the issue "Training that scales" set
its goals on.
"""

import os

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = "1"

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sklearn
from scipy.special import logsumexp
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]


def objective_and_gradient_norm(X, y, W, b, alpha):
    """demarche's objective at (W, b) and the Euclidean norm of its gradient."""
    Z = X @ W.T + b
    lse = logsumexp(Z, axis=1)
    loss = float(np.sum(lse - Z[np.arange(len(y)), y]) + 0.5 * alpha * np.sum(W * W))
    P = np.exp(Z - lse[:, None])
    P[np.arange(len(y)), y] -= 1.0
    grad_W = (X.T @ P).T + alpha * W
    grad_b = P.sum(axis=0)
    return loss, float(np.sqrt(np.sum(grad_W * grad_W) + np.sum(grad_b * grad_b)))


def main():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    exe = ROOT / "target/release/examples/same_features"
    if not exe.exists():
        sys.exit("build it first: cargo build --release --example same_features")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, RAYON_NUM_THREADS="1")
        subprocess.run([str(exe), tmp, *(str(Path(p).resolve()) for p in sys.argv[1:])], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        ours = json.loads(Path(tmp, "demarche.json").read_text())
        X, y = load_svmlight_file(str(Path(tmp, "train.svmlight")), n_features=ours["terms"])
    y = y.astype(int)
    alpha, n = ours["alpha"], X.shape[0]
    print(f"# {n} sentences, {ours['terms']} terms, {ours['nonzeros']} non-zeros; α = {alpha}; "
          f"scikit-learn {sklearn.__version__}, Python {platform.python_version()}, one core")
    print()
    print("| solver | stop | fit (s) | iterations | objective | gradient norm |")
    print("|---|---|---:|---:|---:|---:|")
    print(f"| demarche (sparse L-BFGS, memory {ours['lbfgs_memory']}) | ‖∇‖ < {ours['gradient_tolerance']:g} "
          f"| {ours['fit_seconds']:.2f} | {ours['iterations']} | {ours['objective']:.6f} "
          f"| {ours['gradient_norm']:.1e} |")
    for tol, stop in ((1e-4, "default: ‖∇/n‖∞ < 1e-4"), (1e-4 / n, "‖∇/n‖∞ < 1e-4 / n")):
        clf = LogisticRegression(C=1.0 / alpha, tol=tol, max_iter=100_000, solver="lbfgs")
        started = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - started
        # Columns of coef_ follow classes_: the objective below indexes them by label.
        assert list(clf.classes_) == list(range(len(clf.classes_))), clf.classes_
        objective, norm = objective_and_gradient_norm(X, y, clf.coef_, clf.intercept_, alpha)
        print(f"| scikit-learn (L-BFGS-B) | {stop} | {seconds:.2f} | {int(clf.n_iter_[0])} "
              f"| {objective:.6f} | {norm:.1e} |")


if __name__ == "__main__":
    main()
