#!/usr/bin/env python3
"""Rounds 14 to 17: whole OrangeSum articles drawn at random, completed.

    python3 data/annotation/random_rounds.py ROUND SEGMENTED_DIR
    python3 data/annotation/random_rounds.py left SEGMENTED_DIR

Each round repeats round 12's draw (`round12.py`) with its own seed and no topic: every
train-side OrangeSum article not yet complete in the data set, with 4 to 60 sentences
left, may be drawn, and each drawn article is completed. Writes
target/annotation/pool.jsonl, pool `whole`, round ROUND. Run on the data commit of
its row in ROUNDS, it gives that round's sentences; on later data, which holds them, it
chooses among the articles left. SEGMENTED_DIR is as for `round12.py`. `left` writes nothing: it counts the
train-side sentences the data set does not hold yet, by how many each article has
left (the README's figure of what the corpora have left to label).

Why: the learning curve of the defaults (README, *More annotated news, or unlabeled
news?*) rose by 0.02 to 0.04 of real CV macro-F1 for each doubling of the real
articles with no sign of flattening; the articles on foreign affairs were nearly all
labeled (rounds 12 and 13), and Wikinews had no train-side sentence left. So these
rounds draw the way round 7 drew, at random, which also adds to the whole-article mix
that chooses the none bias: round 14 three times an earlier round's size, rounds 15
and 16 twice that again (30 % and 23 % more real sentences), and round 17 every
article left with 4 to 60 sentences to label (26 % more).
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from round12 import (  # noqa: E402  round 12's draw, without its topic
    MAX_SENTENCES_LEFT,
    MIN_SENTENCES_LEFT,
    choose,
    left_to_label,
)

# round → (seed, sentences, the data it was drawn from)
ROUNDS = {
    14: (20261214, 7200, "data 2.11.0, commit 4ac7605"),
    15: (20261215, 14400, "data 2.12.0, commit 3561634"),
    16: (20261216, 14400, "data 2.13.0, commit 78fd9c4"),
    # More than every sentence left (19,744 in 1,774 articles): round 17 completes them all.
    17: (20261217, 20000, "data 2.14.0, commit 0d140c1"),
}
ANY_ARTICLE = re.compile("")


def report_left(seg_dir):
    left = left_to_label(seg_dir)
    short = {a: n for a, n in left.items() if n < MIN_SENTENCES_LEFT}
    long = {a: n for a, n in left.items() if n > MAX_SENTENCES_LEFT}
    print(f"{sum(left.values())} train-side sentences left to label in {len(left)} articles: "
          f"{sum(short.values())} in {len(short)} articles with fewer than {MIN_SENTENCES_LEFT} left, "
          f"{sum(long.values())} in {len(long)} with more than {MAX_SENTENCES_LEFT}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "left":
        report_left(Path(sys.argv[2]))
        return
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) not in ROUNDS:
        sys.exit(f"usage: random_rounds.py ROUND|left SEGMENTED_DIR, ROUND one of {', '.join(map(str, ROUNDS))}")
    round_number = int(sys.argv[1])
    seed, sentences, _ = ROUNDS[round_number]
    choose(Path(sys.argv[2]), ANY_ARTICLE, seed, round_number, sentences, 0.0)

if __name__ == "__main__":
    main()
