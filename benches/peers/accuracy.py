#!/usr/bin/env python3
"""The peers' accuracy on each test split, trained on the same training data as
demarche: the rows of the README's Results tables.

Peers (the same recipes as compare.py): scikit-learn (PyStemmer stems and stem
pairs, binary, min_df 2, L2-normalized, LogisticRegression C=1) and fastText
supervised (word bigrams, 25 epochs). Each is trained on data/train (constructed and
real training sentences) and scored on the real test split, the seed articles and the
constructed test batches: macro-F1 over the five labels, claim-detection F1 (any act
vs none), and F1 per label. Nothing here is tuned on a test split: the settings are
compare.py's, fixed before the real data existed.

With --predictions DIR, each peer's predictions of each split are also written as
DIR/<peer>/<split>.jsonl (peer: scikit-learn, fasttext; split: real, seeds,
constructed), one line per sentence in the format `evaluate --predictions` reads:
{"id": …, "label": …, "probabilities": {label: p}} (see BENCHMARK.md).

Setup:  pip install -r benches/peers/requirements.txt
Run:    python3 benches/peers/accuracy.py [--json OUT] [--predictions DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import FT_ARGS, LABELS, StemAnalyzer, ft_text, jsonl_under, read_jsonl  # noqa: E402

import fasttext  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import Normalizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPLITS = {
    "real test": ["data/test/real"],
    "seed articles": ["data/test/seeds.jsonl"],
    "constructed test": ["data/test/constructed"],
}
# File names of the splits and directory names of the peers under --predictions.
SPLIT_FILES = {"real test": "real", "seed articles": "seeds", "constructed test": "constructed"}
PEER_DIRS = {"scikit-learn": "scikit-learn", "fastText": "fasttext"}


def load(paths):
    files = []
    for p in paths:
        p = ROOT / p
        files.extend(jsonl_under(p) if p.is_dir() else [p])
    return read_jsonl(files)


def figures(gold, predicted):
    claim_gold = [g != "none" for g in gold]
    claim_pred = [p != "none" for p in predicted]
    per_label = f1_score(gold, predicted, labels=LABELS, average=None, zero_division=0)
    return {
        "macro_f1": f1_score(gold, predicted, labels=LABELS, average="macro", zero_division=0),
        "claim_f1": f1_score(claim_gold, claim_pred, zero_division=0),
        "per_label_f1": dict(zip(LABELS, map(float, per_label))),
    }


def sklearn_predictions(pipe, test):
    """Label and probabilities of every test sentence (the label is the argmax)."""
    probabilities = pipe.predict_proba([r["text"] for r in test])
    classes = list(pipe.classes_)
    out = []
    for row in probabilities:
        p = {label: float(row[classes.index(label)]) for label in LABELS}
        out.append((classes[int(row.argmax())], p))
    return out


def fasttext_predictions(ft, test):
    """Label and probabilities of every test sentence.

    fastText returns exp(log(p + 1e-5)) for each label, so its five values sum to
    about 1 + 5e-5: the 1e-5 is taken off and the rest normalized to sum to 1 (the
    order of the labels, and so the label, is unchanged)."""
    # Lists, not single strings: fastText's single-string predict breaks under numpy 2.
    labels, values = ft.predict([ft_text(r["text"]) for r in test], k=-1)
    out = []
    for names, row in zip(labels, values):
        raw = {n.replace("__label__", ""): max(float(v) - 1e-5, 0.0)
               for n, v in zip(names, row)}
        total = sum(raw.values())
        p = {label: raw.get(label, 0.0) / total for label in LABELS}
        out.append((names[0].replace("__label__", ""), p))
    return out


def write_predictions(path, test, predictions):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for r, (label, p) in zip(test, predictions):
            out.write(json.dumps({"id": r["id"], "label": label, "probabilities": p},
                                 ensure_ascii=False, separators=(",", ":")) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the figures as JSON here")
    parser.add_argument("--predictions", metavar="DIR",
                        help="also write each peer's predictions to DIR/<peer>/<split>.jsonl")
    args = parser.parse_args()
    train = load(["data/train"])
    texts = [r["text"] for r in train]
    labels = [r["label"] for r in train]
    pipe = make_pipeline(
        CountVectorizer(analyzer=StemAnalyzer(), min_df=2, binary=True),
        Normalizer(),
        LogisticRegression(C=1.0, max_iter=1000),
    )
    fit_seconds = {}
    started = time.perf_counter()
    pipe.fit(texts, labels)
    fit_seconds["scikit-learn"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as work:
        train_file = Path(work) / "train.txt"
        train_file.write_text(
            "".join(f"__label__{r['label']} {ft_text(r['text'])}\n" for r in train),
            encoding="utf-8")
        started = time.perf_counter()
        ft = fasttext.train_supervised(input=str(train_file), verbose=0, **FT_ARGS)
        fit_seconds["fastText"] = time.perf_counter() - started
        binary = ROOT / "target" / "release" / "train"
        if binary.exists():
            # Whole process: reading, vocabulary, features, fit, writing the model.
            started = time.perf_counter()
            subprocess.run([str(binary), "--data", str(ROOT / "data/train"), "--out",
                            str(Path(work) / "model.json"), "--quiet"], check=True)
            fit_seconds["demarche train (whole process)"] = time.perf_counter() - started
    out = {"fit_seconds": fit_seconds}
    print(f"trained on data/train: {len(train)} sentences")
    for system, seconds in fit_seconds.items():
        print(f"fit time, {system}: {seconds:.2f} s")
    print("| split | system | macro-F1 | claim F1 | " + " | ".join(LABELS) + " |")
    print("|---|---|---:|---:|" + "---:|" * len(LABELS))
    for split, paths in SPLITS.items():
        test = load(paths)
        gold = [r["label"] for r in test]
        scored = {
            "scikit-learn": sklearn_predictions(pipe, test),
            "fastText": fasttext_predictions(ft, test),
        }
        for system, predictions in scored.items():
            if args.predictions:
                write_predictions(Path(args.predictions) / PEER_DIRS[system]
                                  / f"{SPLIT_FILES[split]}.jsonl", test, predictions)
            predicted = [label for label, _ in predictions]
            f = figures(gold, predicted)
            out.setdefault(split, {})[system] = f
            per = " | ".join(f"{f['per_label_f1'][l]:.3f}" for l in LABELS)
            print(f"| {split} | {system} | {f['macro_f1']:.3f} | {f['claim_f1']:.3f} | {per} |")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
