#!/usr/bin/env python3
"""Builds the real-news records of data/ from the two annotation passes and the
adjudication, and keeps both passes beside the data.

    python3 data/annotation/build_real.py BATCH_DIR PASS_A_DIR PASS_B_DIR ADJUDICATION.tsv
    python3 data/annotation/build_real.py --committed
    python3 data/annotation/build_real.py --add BATCH_DIR PASS_A_DIR PASS_B_DIR ADJUDICATION.tsv

Inputs: the pool (target/annotation/pool.jsonl, from pools.py), the batches' index
(BATCH_DIR/index.tsv, from batches.py), each pass's batch-NNN.tsv files
(`N<TAB>label[<TAB>also,…]`), and the adjudication of every disagreement
(`id pass_a pass_b final also reason`). Outputs:

    data/annotation/real-pass-a.tsv, real-pass-b.tsv   id, label, also: each pass whole
    data/annotation/real-adjudication.tsv              the disagreements, settled
    data/{train,test}/real/{wikinews,orangesum}.jsonl  the records

A record's label is the two passes' label where they agree, the adjudicated one
otherwise; its `also` holds the secondary acts both passes gave (or the adjudicated
ones). Then data/annotation/real-rereadings.tsv (`id before before_also after
after_also decision reason`), when present, applies a decision written after a
sentence was labeled: two readers re-read the sentences it might concern, each on
their own, and the rows are those both changed the same way or an adjudicator
changed where they disagreed. A row whose `before`
is not the record's label and `also` stops the build: it was written against other
data. Nothing here assigns a label.

`--committed` rebuilds the records from the committed passes and adjudication (the
texts and sources from the records themselves), for when the batches are gone: with
no new re-reading it rewrites every record as it was. `--add` does the same and adds
the round of BATCH_DIR (its pool in target/annotation/pool.jsonl, written by the
round's own script, `round12.py`): the committed passes and adjudication gain its
sentences.
"""
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pools import normalized  # noqa: E402  the one normalization of the data set

ROOT = Path(__file__).resolve().parents[2]
LABELS = {"demand", "refusal", "warning", "offer", "none"}
CORPUS_FILE = {"wn": "wikinews", "os": "orangesum"}


def check(condition, message):
    """Stops the build: unlike `assert`, not switched off by `python -O`."""
    if not condition:
        sys.exit(f"build_real.py: {message}")


def acts(text):
    """`demand,offer` → ["demand", "offer"]; empty → []."""
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def read_pass(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if not parts[0].strip():
            continue
        label = parts[1].strip()
        also = [a.strip() for a in parts[2].split(",") if a.strip()] if len(parts) > 2 else []
        check(label in LABELS and all(a in LABELS for a in also), (path, line))
        out[int(parts[0])] = (label, [a for a in dict.fromkeys(also) if a != label])
    return out


def read_round(batch_dir, dir_a, dir_b, adjudication):
    """The pool (target/annotation/pool.jsonl), the two passes of every annotated batch
    of BATCH_DIR, and the adjudication of their disagreements, checked."""
    pool = {}
    for line in open(ROOT / "target/annotation/pool.jsonl", encoding="utf-8"):
        r = json.loads(line)
        pool[r["id"]] = r
    index = defaultdict(dict)
    for line in open(batch_dir / "index.tsv", encoding="utf-8"):
        b, n, rid = line.rstrip("\n").split("\t")
        index[b][int(n)] = rid
    pass_a, pass_b = {}, {}
    for b, lines in index.items():
        if not (dir_a / f"batch-{b}.tsv").exists() and not (dir_b / f"batch-{b}.tsv").exists():
            print(f"batch {b}: not annotated yet, left out", file=sys.stderr)
            continue
        a = read_pass(dir_a / f"batch-{b}.tsv")
        bb = read_pass(dir_b / f"batch-{b}.tsv")
        check(set(a) == set(lines) == set(bb), f"batch {b}: lines missing in a pass")
        for n, rid in lines.items():
            pass_a[rid], pass_b[rid] = a[n], bb[n]
    settled = {}
    with open(adjudication, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rid = row["id"]
            check(row["final"] in LABELS, row)
            also = [x.strip() for x in (row["also"] or "").split(",") if x.strip()]
            check(all(x in LABELS for x in also), row)
            settled[rid] = (row["final"], [x for x in dict.fromkeys(also) if x != row["final"]], row)
    disagreements = [rid for rid in pool if rid in pass_a and pass_a[rid][0] != pass_b[rid][0]]
    missing = [rid for rid in disagreements if rid not in settled]
    check(not missing, f"{len(missing)} disagreements not adjudicated, first {missing[:5]}")
    extra = [rid for rid in settled if rid not in disagreements]
    check(not extra, f"adjudicated ids that are not disagreements: {extra[:5]}")
    return pool, pass_a, pass_b, settled


def reading_order(pool, ids):
    """The order of the committed passes and of the records: by corpus, article, id."""
    return sorted(ids, key=lambda rid: (pool[rid]["corpus"], pool[rid]["article"], rid))


def write_committed(order, pass_a, pass_b, settled):
    """Rewrites the committed copies of both passes and of the adjudication."""
    ann = ROOT / "data" / "annotation"
    for name, labels in (("real-pass-a.tsv", pass_a), ("real-pass-b.tsv", pass_b)):
        with open(ann / name, "w", encoding="utf-8") as f:
            for rid in order:
                label, also = labels[rid]
                f.write(f"{rid}\t{label}\t{','.join(also)}\n")
    with open(ann / "real-adjudication.tsv", "w", encoding="utf-8") as f:
        f.write("id\tpass_a\tpass_b\tadjudicated\talso\treason\n")
        for rid in order:
            if rid in settled:
                label, also, row = settled[rid]
                reason = " ".join(row["reason"].split())
                f.write(f"{rid}\t{pass_a[rid][0]}\t{pass_b[rid][0]}\t{label}\t{','.join(also)}\t{reason}\n")


def from_batches(batch_dir, dir_a, dir_b, adjudication):
    """The passes and adjudication from the annotation's working files; rewrites the
    committed copies of both passes and of the adjudication."""
    pool, pass_a, pass_b, settled = read_round(batch_dir, dir_a, dir_b, adjudication)
    # A text that repeats is kept once in the data set: real pieces that repeat a seed
    # or constructed sentence (« Facebook », « Twitter ») are left out.
    earlier = set()
    for path in sorted((ROOT / "data").rglob("*.jsonl")):
        if path.parent.name != "real":
            for line in open(path, encoding="utf-8"):
                if line.strip():
                    earlier.add(normalized(json.loads(line)["text"]))
    order = reading_order(pool, (rid for rid in pool if rid in pass_a and normalized(pool[rid]["text"]) not in earlier))
    # This mode rebuilds the passes from the pool alone: on a pool holding one new
    # round, it would drop every earlier round from the committed passes.
    committed = ROOT / "data" / "annotation" / "real-pass-a.tsv"
    if committed.exists():
        kept = set(order)
        lost = [line.split("\t", 1)[0] for line in open(committed, encoding="utf-8") if line.split("\t", 1)[0] not in kept]
        check(not lost, f"the pool lacks {len(lost)} committed sentences (first {lost[:3]}); to add a round, use --add")
    return pool, order, pass_a, pass_b, settled


def add_round(batch_dir, dir_a, dir_b, adjudication):
    """A new round on top of the committed data, for when the earlier rounds' working
    files are gone (pools.py's later rounds need the predictions of models trained on
    earlier data versions): the committed passes, adjudication and records as they
    are, plus the round of BATCH_DIR, whose pool (target/annotation/pool.jsonl, from
    a round's own script such as round12.py) must hold only sentences not in data/."""
    pool, order, pass_a, pass_b, settled = from_committed()
    new_pool, new_a, new_b, new_settled = read_round(batch_dir, dir_a, dir_b, adjudication)
    in_data = set()
    for path in sorted((ROOT / "data").rglob("*.jsonl")):
        for line in open(path, encoding="utf-8"):
            if line.strip():
                in_data.add(normalized(json.loads(line)["text"]))
    new_ids = [rid for rid in new_pool if rid in new_a]
    check(not any(rid in pool for rid in new_ids), "the new round repeats a record id of data/")
    check(
        not any(normalized(new_pool[rid]["text"]) in in_data for rid in new_ids),
        "the new round repeats a text of data/",
    )
    for rid in new_ids:
        pool[rid] = new_pool[rid]
    pass_a.update(new_a)
    pass_b.update(new_b)
    settled.update(new_settled)
    check(len({normalized(new_pool[rid]["text"]) for rid in new_ids}) == len(new_ids), "the new round repeats a text")
    check(all(new_pool[rid]["side"] == "train" for rid in new_ids), "the new round has sentences on the test side")
    order = reading_order(pool, order + new_ids)
    return pool, order, pass_a, pass_b, settled


def from_committed():
    """The passes and adjudication as committed, the texts and sources from the records
    as they are: rebuilds the records, with the re-readings, where the annotation's
    working files are gone."""
    ann = ROOT / "data" / "annotation"
    corpus_of = {name: short for short, name in CORPUS_FILE.items()}
    pool = {}
    for side in ("train", "test"):
        for path in sorted((ROOT / "data" / side / "real").glob("*.jsonl")):
            for line in open(path, encoding="utf-8"):
                r = json.loads(line)
                pool[r["id"]] = {**r, "side": side, "corpus": corpus_of[path.stem], "article": r["id"].rsplit("-", 1)[0]}
    passes = []
    for name in ("real-pass-a.tsv", "real-pass-b.tsv"):
        labels = {}
        for line in open(ann / name, encoding="utf-8"):
            rid, label, also = (line.rstrip("\n").split("\t") + [""])[:3]
            check(label in LABELS and all(a in LABELS for a in acts(also)), (name, line))
            labels[rid] = (label, acts(also))
        passes.append(labels)
    pass_a, pass_b = passes
    order = list(pass_a)
    check(order == list(pass_b), "the two passes list different sentences")
    check(set(order) == set(pool), "the passes and the records list different sentences")
    settled = {}
    with open(ann / "real-adjudication.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            check(row["adjudicated"] in LABELS, row)
            settled[row["id"]] = (row["adjudicated"], acts(row["also"]), row)
    return pool, order, pass_a, pass_b, settled


def main():
    rewrites_passes = True
    if sys.argv[1:] == ["--committed"]:
        pool, order, pass_a, pass_b, settled = from_committed()
        rewrites_passes = False
    elif len(sys.argv) == 6 and sys.argv[1] == "--add":
        pool, order, pass_a, pass_b, settled = add_round(*map(Path, sys.argv[2:6]))
    elif len(sys.argv) == 5 and not sys.argv[1].startswith("--"):
        pool, order, pass_a, pass_b, settled = from_batches(*map(Path, sys.argv[1:5]))
    else:
        sys.exit(__doc__)
    ann = ROOT / "data" / "annotation"
    rereadings = {}
    rereadings_path = ann / "real-rereadings.tsv"
    if rereadings_path.exists():
        with open(rereadings_path, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                labels_ok = all(
                    row[k] in LABELS for k in ("before", "after")
                ) and all(x in LABELS for x in acts(row["before_also"]) + acts(row["after_also"]))
                check(labels_ok, f"real-rereadings.tsv: a label that is not one: {row}")
                check(row["id"] not in rereadings, f"real-rereadings.tsv: {row['id']} re-read twice")
                rereadings[row["id"]] = row
    unknown = [rid for rid in rereadings if rid not in order]
    check(not unknown, f"re-readings of sentences not in the data: {unknown[:5]}")

    files = defaultdict(list)
    for rid in order:
        r = pool[rid]
        if rid in settled:
            label, also, _ = settled[rid]
        else:
            label = pass_a[rid][0]
            also = [x for x in pass_a[rid][1] if x in pass_b[rid][1]]
        if rid in rereadings:
            row = rereadings[rid]
            before = (row["before"], sorted(acts(row["before_also"])))
            check((label, sorted(also)) == before, f"{rid}: re-read as {before}, labeled {label} {also}")
            label, also = row["after"], acts(row["after_also"])
        record = {"id": rid, "text": r["text"], "label": label}
        if also:
            record["also"] = also
        record["source"] = r["source"]
        record["pool"] = r["pool"]
        files[(r["side"], CORPUS_FILE[r["corpus"]])].append(record)
    # Every check has passed: only now are the committed passes rewritten, so a
    # failed build leaves them and the records as they were.
    if rewrites_passes:
        write_committed(order, pass_a, pass_b, settled)
    for (side, corpus), records in sorted(files.items()):
        out = ROOT / "data" / side / "real" / f"{corpus}.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{out.relative_to(ROOT)}: {len(records)} records", file=sys.stderr)


if __name__ == "__main__":
    main()
