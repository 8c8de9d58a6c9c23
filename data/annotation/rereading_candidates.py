#!/usr/bin/env python3
"""Selects the labeled real-news sentences a late decision might concern, for two
readers to re-read (data/README.md, "How it was made", step 5). It selects; it never
labels: the readers decide, and real-rereadings.tsv keeps what both changed alike.

    python3 data/annotation/rereading_candidates.py 57 > candidates.txt

Decision 57 (instructions within one executive): every real or seed sentence whose
label or `also` holds a demand and whose text names a government, ministers,
prefects, services, forces or agents as addressees, or a circular, an instruction, a
directive or an order. The search is wide on purpose: most of what it finds is a
request from outside the executive, which the readers keep.
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEARCHES = {
    "57": re.compile(
        r"(à|aux|au) (son |ses |leur |leurs |au |aux |les |la |le )?(gouvernement|ministres?|"
        r"préfets?|préfecture|services|administrations?|forces de l'ordre|policiers|gendarmes|"
        r"ambassadeurs?|armée|membres du gouvernement|directeurs?|recteurs?|agents)\b|"
        r"circulaire|instruction|consigne|ordonn",
        re.IGNORECASE,
    ),
}


def main():
    search = SEARCHES[sys.argv[1]]
    n = 0
    print("# Sentences to re-read against decision", sys.argv[1], "(id | current label | current also | text)\n")
    for path in sorted((ROOT / "data").rglob("*.jsonl")):
        if "constructed" in path.parts:
            continue
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            if "demand" in [r["label"], *r.get("also", [])] and search.search(r["text"]):
                n += 1
                also = ",".join(r.get("also", [])) or "-"
                print(f"{n}. {r['id']} | {r['label']} | {also} | {r['text']}")


if __name__ == "__main__":
    main()
