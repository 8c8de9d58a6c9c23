#!/usr/bin/env python3
"""Cuts target/annotation/pool.jsonl into annotation batches of about 300
sentences, whole articles together, in reading order, each line numbered.

    python3 data/annotation/batches.py OUT_DIR

Writes OUT_DIR/batch-NNN.txt (what an annotator reads) and OUT_DIR/index.tsv
(batch, line → record id). The pool field is not shown: annotators never know why a
sentence was chosen. Order: the chosen OrangeSum pools, then whole OrangeSum
articles, then Wikinews.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZE = 300


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    records = [json.loads(l) for l in open(ROOT / "target/annotation/pool.jsonl", encoding="utf-8")]
    order = {"cue": 0, "uncertain": 0, "predicted": 0, "natural": 1, "whole": 1}
    # Later rounds come after the batches of earlier ones, which keep their numbers.
    records.sort(key=lambda r: (r.get("round", 1), r["corpus"] == "wn", order[r["pool"]], r["article"].split("-")[0], int(r["article"].split("-")[1]) if r["corpus"] == "os" else 0, r["article"], r["id"]))
    # Whole articles in one batch.
    articles = []
    for r in records:
        if articles and articles[-1][0]["article"] == r["article"]:
            articles[-1].append(r)
        else:
            articles.append([r])
    batches, current = [], []
    for art in articles:
        new_round = current and current[-1].get("round", 1) != art[0].get("round", 1)
        if current and (new_round or len(current) + len(art) > SIZE):
            batches.append(current)
            current = []
        current.extend(art)
    if current:
        batches.append(current)
    with open(out / "index.tsv", "w", encoding="utf-8") as index:
        for b, batch in enumerate(batches, 1):
            lines = [f"# Batch {b:03d}: {len(batch)} numbered lines to label\n"]
            prev_article, prev_index = None, None
            for n, r in enumerate(batch, 1):
                idx = int(r["id"].rsplit("-", 1)[1])
                if r["article"] != prev_article:
                    lines.append(f"\n## Article {r['article']}: {r['title']}\n")
                elif idx != prev_index + 1:
                    lines.append("[…]\n")
                text = r["text"].replace("\n", " ")
                lines.append(f"{n}\t{text}\n")
                index.write(f"{b:03d}\t{n}\t{r['id']}\n")
                prev_article, prev_index = r["article"], idx
            (out / f"batch-{b:03d}.txt").write_text("".join(lines), encoding="utf-8")
    print(len(batches), "batches", file=sys.stderr)


if __name__ == "__main__":
    main()
