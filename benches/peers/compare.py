#!/usr/bin/env python3
"""demarche side by side with its peers, on the same data and the same sentences.

Peers:
  * scikit-learn: PyStemmer's French stemmer, CountVectorizer (stems and pairs of
    adjacent stems, binary, min_df 2) and LogisticRegression;
  * fastText supervised with word bigrams, through its Python API and its C++
    `fasttext` command (Debian package `fasttext`);
  * demarche: its release binaries `train` and `classify` (whole process, like the
    fastText command), and its library in process through `examples/throughput.rs`
    (model loaded, sentences in memory, like the Python APIs).

For each: training time, extraction + inference throughput on one core
(sentences/s), accuracy and macro-F1 on the test split. Training data is
data/train/; the test split is data/test/.

Throughput corpus: sentences of 32 words, windows over the words of the data set's
sentences laid end to end (the recipe of benches/common/mod.rs). The Python peers are
timed inside the process (model loaded, list of sentences in memory); the command
lines are timed as whole processes on a file of one sentence per line, under
`taskset -c 0`.

Setup:  pip install -r benches/peers/requirements.txt && apt-get install -y fasttext
Run:    cargo build --release --bins --examples && python3 benches/peers/compare.py
"""

import os

# One core for every numeric library, set before numpy is imported.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
            "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[var] = "1"

import argparse
import json
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import fasttext
import numpy as np
import sklearn
import Stemmer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

LABELS = ["demand", "refusal", "warning", "offer", "none"]
WORDS_PER_SENTENCE = 32


def pin_to_one_core():
    """Runs this process (and so the Python peers) on core 0."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})


def taskset():
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def read_jsonl(paths):
    records = []
    for path in paths:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                records.append(json.loads(line))
    return records


def jsonl_under(folder):
    return sorted(p for p in Path(folder).rglob("*.jsonl"))


def splits(root):
    data = root / "data"
    test_dir = data / "test"
    train_dirs = [data / "train"]
    if not train_dirs[0].is_dir() or not test_dir.is_dir():
        sys.exit(f"compare.py: expected data/train and data/test under {root}")
    return train_dirs, test_dir


def news_corpus(records, n):
    """n sentences of 32 words: the recipe of benches/common/mod.rs."""
    words = [w for r in records for w in r["text"].split()]
    out, start = [], 0
    while len(out) < n:
        out.append(" ".join(words[(start + k) % len(words)] for k in range(WORDS_PER_SENTENCE)))
        start += WORDS_PER_SENTENCE + WORDS_PER_SENTENCE // 4 + 1
    return out


def scores(gold, predicted):
    return (accuracy_score(gold, predicted),
            f1_score(gold, predicted, labels=LABELS, average="macro", zero_division=0))


def timed(f):
    started = time.perf_counter()
    value = f()
    return value, time.perf_counter() - started


def run_timed(cmd, **kwargs):
    started = time.perf_counter()
    result = subprocess.run(cmd, check=True, **kwargs)
    return result, time.perf_counter() - started


# scikit-learn ---------------------------------------------------------------------

TOKEN = re.compile(r"\w+")


class StemAnalyzer:
    """Lowercase word tokens → French Snowball stems, then pairs of stems."""

    def __init__(self):
        self.stemmer = Stemmer.Stemmer("french")

    def __call__(self, text):
        stems = self.stemmer.stemWords(TOKEN.findall(text.lower()))
        return stems + [a + " " + b for a, b in zip(stems, stems[1:])]


def sklearn_peer(train, test, corpus):
    pipe = make_pipeline(
        CountVectorizer(analyzer=StemAnalyzer(), min_df=2, binary=True),
        Normalizer(),
        LogisticRegression(C=1.0, max_iter=1000),
    )
    _, train_s = timed(lambda: pipe.fit([r["text"] for r in train], [r["label"] for r in train]))
    predicted = list(pipe.predict([r["text"] for r in test]))
    labels, run_s = timed(lambda: pipe.predict(corpus))
    assert len(labels) == len(corpus)
    return train_s, len(corpus) / run_s, scores([r["label"] for r in test], predicted)


# fastText ---------------------------------------------------------------------------

FT_ARGS = dict(wordNgrams=2, epoch=25, lr=0.5, dim=100, minCount=1, thread=1, seed=1)
PUNCT = re.compile(r"([«»“”\"'’.,;:!?()\[\]])")


def ft_text(text):
    """fastText splits on whitespace only: lowercase and set punctuation apart."""
    return " ".join(PUNCT.sub(r" \1 ", text.lower()).split())


def fasttext_python(train_file, test, corpus):
    model, train_s = timed(lambda: fasttext.train_supervised(input=str(train_file), verbose=0,
                                                             **FT_ARGS))
    # Lists, not single strings: fastText's single-string predict breaks under numpy 2.
    predicted = [p[0].replace("__label__", "") for p in
                 model.predict([ft_text(r["text"]) for r in test])[0]]
    labels, run_s = timed(lambda: model.predict(corpus)[0])
    assert len(labels) == len(corpus)
    return train_s, len(corpus) / run_s, scores([r["label"] for r in test], predicted)


def fasttext_cli(work, train_file, test, corpus_file, n_sentences):
    exe = shutil.which("fasttext")
    if exe is None:
        return None
    out = work / "fasttext-cli"
    args = []
    for k, v in [("wordNgrams", 2), ("epoch", 25), ("lr", 0.5), ("dim", 100),
                 ("minCount", 1), ("thread", 1), ("seed", 1)]:
        args += [f"-{k}", str(v)]
    _, train_s = run_timed(taskset() + [exe, "supervised", "-input", str(train_file),
                                        "-output", str(out), "-verbose", "0"] + args,
                           stdout=subprocess.DEVNULL)
    test_file = work / "test.fasttext.txt"
    test_file.write_text("".join(ft_text(r["text"]) + "\n" for r in test), encoding="utf-8")
    result = subprocess.run([exe, "predict", f"{out}.bin", str(test_file)], check=True,
                            capture_output=True, text=True)
    predicted = [l.replace("__label__", "") for l in result.stdout.split()]
    with open(work / "fasttext-cli.out", "wb") as sink:
        _, run_s = run_timed(taskset() + [exe, "predict", f"{out}.bin", str(corpus_file)],
                             stdout=sink)
    return train_s, n_sentences / run_s, scores([r["label"] for r in test], predicted), run_s


# demarche ---------------------------------------------------------------------------

def demarche(root, work, train_dirs, test_dir, corpus_file, n_sentences):
    binaries = Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release"
    train_exe, classify_exe = binaries / "train", binaries / "classify"
    if not (train_exe.exists() and classify_exe.exists()):
        sys.exit("compare.py: build the binaries first (cargo build --release --bins --examples); "
                 f"not in {binaries}")
    model = work / "demarche.json"
    data_args = [a for d in train_dirs for a in ("--data", str(d))]
    _, train_s = run_timed(taskset() + [str(train_exe), *data_args, "--out", str(model), "-q"])
    test_files = jsonl_under(test_dir)
    result = subprocess.run([str(classify_exe), "--model", str(model), "--input", "jsonl",
                             "--format", "label", "--threads", "1", *map(str, test_files)],
                            check=True, capture_output=True, text=True)
    predicted = result.stdout.split()
    gold = [r["label"] for r in read_jsonl(test_files)]
    with open(work / "demarche.out", "wb") as sink:
        _, run_s = run_timed(taskset() + [str(classify_exe), "--model", str(model), "--input",
                                          "lines", "--format", "label", "--threads", "1",
                                          str(corpus_file)], stdout=sink)
    return train_s, n_sentences / run_s, scores(gold, predicted), run_s


def demarche_in_process(root, work, py_corpus_file, train_s, quality):
    """The library in process, timed as the Python APIs are: best of 5 rounds."""
    binaries = Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release"
    exe = binaries / "examples" / "throughput"
    if not exe.exists():
        sys.exit("compare.py: build the example first (cargo build --release --examples); "
                 f"not in {exe.parent}")
    result = subprocess.run(taskset() + [str(exe), str(work / "demarche.json"),
                                         str(py_corpus_file), "5"],
                            check=True, capture_output=True, text=True)
    # "N sentences, best of R rounds T s: RATE sentences/s; labels [...]"
    rate = float(result.stdout.split(":")[1].split()[0])
    return train_s, rate, quality


def main():
    root_default = Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=root_default, help="the repository")
    parser.add_argument("--sentences", type=int, default=1_000_000,
                        help="sentences in the file given to the command lines")
    parser.add_argument("--python-sentences", type=int, default=100_000,
                        help="sentences given to the Python APIs (a prefix of the same ones)")
    parser.add_argument("--work", type=Path, default=None,
                        help="scratch folder (default: target/peers)")
    args = parser.parse_args()
    root = args.root
    work = args.work or root / "target" / "peers"
    work.mkdir(parents=True, exist_ok=True)
    pin_to_one_core()

    train_dirs, test_dir = splits(root)
    train = read_jsonl([p for d in train_dirs for p in jsonl_under(d)])
    test = read_jsonl(jsonl_under(test_dir))
    corpus = news_corpus(train + test, args.sentences)
    corpus_file = work / f"news32-{args.sentences}.txt"
    corpus_file.write_text("".join(s + "\n" for s in corpus), encoding="utf-8")
    py_corpus = corpus[:args.python_sentences]
    py_corpus_file = work / f"news32-{len(py_corpus)}.txt"
    py_corpus_file.write_text("".join(s + "\n" for s in py_corpus), encoding="utf-8")
    train_file = work / "train.fasttext.txt"
    train_file.write_text("".join(f"__label__{r['label']} {ft_text(r['text'])}\n" for r in train),
                          encoding="utf-8")

    print(f"train: {len(train)} sentences from {', '.join(str(d.relative_to(root)) for d in train_dirs)}; "
          f"test: {len(test)} sentences from {test_dir.relative_to(root)}")
    print(f"throughput corpus: {len(corpus)} sentences of {WORDS_PER_SENTENCE} words, "
          f"{corpus_file.stat().st_size} bytes ({len(py_corpus)} for the Python APIs)")
    print(f"python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
          f"{sklearn.__version__}, fasttext (Python) {getattr(fasttext, '__version__', '0.9.2')}")

    rows = {}
    cli = demarche(root, work, train_dirs, test_dir, corpus_file, len(corpus))
    rows["demarche classify (command, whole process)"] = cli
    rows["demarche library (in process)"] = demarche_in_process(root, work, py_corpus_file,
                                                                cli[0], cli[2])
    ft_cli = fasttext_cli(work, train_file, test, corpus_file, len(corpus))
    if ft_cli:
        rows["fastText C++ (fasttext supervised / predict)"] = ft_cli
    rows["fastText Python API"] = fasttext_python(train_file, test, py_corpus)
    rows["scikit-learn + PyStemmer"] = sklearn_peer(train, test, py_corpus)

    print()
    print("| system | training (s) | sentences/s, one core | accuracy | macro-F1 |")
    print("|---|---:|---:|---:|---:|")
    for name, (train_s, rate, (acc, f1), *_) in rows.items():
        print(f"| {name} | {train_s:.2f} | {rate:,.0f} | {acc:.3f} | {f1:.3f} |")
    # Like against like: commands as whole processes on the big file, libraries in
    # process on the in-memory sentences.
    library = rows["demarche library (in process)"][1]
    print()
    print("| demarche | against | × faster |")
    print("|---|---|---:|")
    if ft_cli:
        print(f"| classify command | fastText C++ predict | {cli[1] / ft_cli[1]:.1f} |")
    print(f"| library | fastText Python API | {library / rows['fastText Python API'][1]:.1f} |")
    print(f"| library | scikit-learn + PyStemmer | "
          f"{library / rows['scikit-learn + PyStemmer'][1]:.1f} |")
    if ft_cli:
        d_s, f_s = cli[3], ft_cli[3]
        print(f"\nwhole process on {len(corpus)} sentences, one core: demarche classify {d_s:.2f} s, "
              f"fasttext predict {f_s:.2f} s: demarche {f_s / d_s:.1f}× faster")
    results = {name: {"training_s": r[0], "sentences_per_s": r[1], "accuracy": r[2][0],
                      "macro_f1": r[2][1]} for name, r in rows.items()}
    (work / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
