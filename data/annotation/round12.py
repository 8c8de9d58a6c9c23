#!/usr/bin/env python3
"""Round 12: whole OrangeSum articles about foreign affairs, completed.

    python3 data/annotation/round12.py SEGMENTED_DIR

Run on data 2.9.2 (commit 19ec35f), it gives round 12's 2,404 sentences; on later
data, which holds them, it chooses among the articles left.

SEGMENTED_DIR holds `wikinews-fr.jsonl` and `orangesum-politique.jsonl`, the corpora cut
by demarche's own segmenter (`cargo run --release --example segment_corpus`). Writes
target/annotation/pool.jsonl (the sentences to annotate, pool `whole`, round 12), for
`batches.py` to cut into batches.

Why this round: the rounds ranked by a model stopped showing a gain the measures can
tell from noise, and the project is measured on real diplomatic news it does not hold.
The politics section of OrangeSum also reports foreign affairs (summits, sanctions,
ministers abroad, foreign leaders); its articles on them are the closest text to that
news the project may use. This round draws, at random (seeded), among the train-side
articles in which at least a fifth of the sentences name a foreign state, leader,
people or international body, with 4 to 60 sentences not yet labeled, and completes
each one: every sentence not yet in the data set, in reading order,
so the articles join the whole-article mix that chooses the none bias.

What chooses an article is its topic (place and institution names), never a word of an
act: the labels come from people. The names are matched with their accents
(« Etats-Unis » and « Egypte » unaccented, and « UE », are missed: about five articles
would qualify otherwise); kept as it is, so that the round can be rebuilt. pools.py is not rerun: its later rounds need the
predictions of models trained on earlier data versions; this round only needs the data
set as it is, which it reads to know what is labeled and which articles are on the
test side.
"""
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pools import normalized, stories  # noqa: E402  the data set's own normalization and stories

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
OUT = ROOT / "target" / "annotation"
SEED = 20261201
ROUND = 12
SENTENCES = 2400
# An article qualifies when at least this share of its sentences name a foreign state,
# leader or international body, and it has enough sentences left to be worth completing.
MIN_FOREIGN_SHARE = 0.2
MIN_SENTENCES_LEFT = 4
MAX_SENTENCES_LEFT = 60

FOREIGN = re.compile(
    r"\b(états?-unis|américaine?s?|washington|trump|biden|pompeo|chine|chinois(es?)?|pékin|"
    r"russie|russes?|moscou|kremlin|poutine|lavrov|ukrain\w*|kiev|biélorus\w*|loukachenko|"
    r"turquie|turcs?|turques?|ankara|erdogan|grèce|grecs?|grecques?|athènes|chypre|liban|"
    r"libanais(es?)?|beyrouth|syrie|syriens?|syriennes?|damas|iran|iraniens?|iraniennes?|"
    r"téhéran|irak|israël|israéliens?|israéliennes?|palestin\w*|gaza|libye|libyens?|"
    r"égypte|algérie|algériens?|algériennes?|alger|maroc|marocains?|marocaines?|tunisie|"
    r"mali|maliens?|maliennes?|sahel|niger|burkina|tchad|afrique|africains?|africaines?|"
    r"allemagne|allemands?|allemandes?|merkel|berlin|royaume-uni|britanniques?|londres|"
    r"brexit|italie|italiens?|italiennes?|espagne|espagnols?|espagnoles?|belgique|pologne|"
    r"hongrie|orban|autriche|suisse|inde|japon|corée|brésil|venezuela|mexique|canada|"
    r"hong kong|taïwan|ouïghours?|arménie|azerbaïdjan|haut-karabakh|union européenne|"
    r"bruxelles|commission européenne|conseil européen|onu|nations unies|otan|g7|g20|oms|"
    r"fmi|ambassad\w*|diplomat\w*|affaires étrangères|le drian|sommets?|étrangers?|"
    r"étrangères?|internationale?s?|internationaux|bilatérale?s?|bilatéraux)\b",
    re.IGNORECASE,
)


def data_state(seg_dir):
    """The corpora cut into sentences and what the data set holds of them: the pieces
    of every article (index, text), the normalized texts already labeled, the articles
    of the `natural` and `whole` pools, and whether an article is on the train side
    (neither a test article nor another telling of a test article's story)."""
    pieces = defaultdict(list)
    for corpus in ("wikinews-fr", "orangesum-politique"):
        for line in open(seg_dir / f"{corpus}.jsonl", encoding="utf-8"):
            p = json.loads(line)
            pieces[p["article"]].append((p["index"], p["text"]))
    story = stories({a: [t for _, t in ps] for a, ps in pieces.items()})

    labeled, test_articles, whole = set(), set(), set()
    for path in sorted((ROOT / "data").rglob("*.jsonl")):
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            r = json.loads(line)
            labeled.add(normalized(r["text"]))
            article = r["id"].rsplit("-", 1)[0]
            if path.parent.name == "real" and path.parent.parent.name == "test":
                test_articles.add(article)
            if r.get("pool") in ("natural", "whole"):
                whole.add(article)
    test_stories = {story(a) for a in test_articles}

    def train_side(a):
        return a not in test_articles and story(a) not in test_stories

    return pieces, labeled, whole, train_side


def left_to_label(seg_dir):
    """Train-side article → how many of its sentences the data set does not hold yet
    (articles with none left omitted)."""
    pieces, labeled, _, train_side = data_state(seg_dir)
    left = {}
    for a, ps in pieces.items():
        n = sum(1 for _, t in ps if normalized(t) and normalized(t) not in labeled)
        if n and train_side(a):
            left[a] = n
    return left


def choose(seg_dir, foreign, seed, round_number, sentences, min_share=MIN_FOREIGN_SHARE):
    """Draws (seeded) train-side OrangeSum articles not yet complete in the data set,
    whose share of sentences matching `foreign` is at least `min_share`, and
    writes every sentence of theirs not yet labeled to target/annotation/pool.jsonl,
    about `sentences` in all, pool `whole`, round `round_number`."""
    articles_meta = {}
    for line in open(CORPORA / "orangesum-politique" / "articles.jsonl", encoding="utf-8"):
        a = json.loads(line)
        articles_meta[a["id"]] = a
    pieces, labeled, whole, train_side = data_state(seg_dir)

    candidates = []
    for a in sorted((a for a in pieces if a.startswith("os-")), key=lambda a: int(a.split("-")[1])):
        if a in whole or not train_side(a):
            continue
        texts = [t for _, t in pieces[a]]
        left = [t for t in texts if normalized(t) and normalized(t) not in labeled]
        share = sum(1 for t in texts if foreign.search(t)) / len(texts)
        if share >= min_share and MIN_SENTENCES_LEFT <= len(left) <= MAX_SENTENCES_LEFT:
            candidates.append(a)
    rng = random.Random(seed)
    rng.shuffle(candidates)

    records, seen = [], set(labeled)
    for a in candidates:
        if len(records) >= sentences:
            break
        for index, text in pieces[a]:
            n = normalized(text)
            if not n or n in seen:
                # A text that repeats is kept once in the data set.
                continue
            seen.add(n)
            records.append(
                {
                    "id": f"{a}-{index:03d}",
                    "text": text,
                    "article": a,
                    "corpus": "os",
                    "pool": "whole",
                    "side": "train",
                    "source": articles_meta[a]["url"],
                    "title": articles_meta[a]["title"],
                    "round": round_number,
                }
            )
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "pool.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    chosen = len({r["article"] for r in records})
    print(f"{len(candidates)} candidate articles; {chosen} chosen, {len(records)} sentences", file=sys.stderr)


def main():
    choose(Path(sys.argv[1]), FOREIGN, SEED, ROUND, SENTENCES)


if __name__ == "__main__":
    main()
