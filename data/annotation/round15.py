#!/usr/bin/env python3
"""Round 15: more whole OrangeSum articles drawn at random, completed.

    python3 data/annotation/round15.py SEGMENTED_DIR

Run on data 2.12.0 (commit 3561634), it gives round 15's sentences; on later data, which holds them, it
chooses among the articles left. SEGMENTED_DIR is as for `round12.py`, whose draw this
repeats with its own seed and no topic: every train-side OrangeSum article not yet
complete in the data set, with 4 to 60 sentences left, may be drawn; each drawn article
is completed. Writes target/annotation/pool.jsonl, pool `whole`, round 15.

Why: as for round 14, whose draw this repeats with its own seed, twice its size: the
learning curve of the defaults (README, *More annotated news, or unlabeled news?*)
still rises by 0.03 to 0.04 of real CV macro-F1 for each doubling of the real
articles, and the corpora's unlabeled train-side sentences are nearly all OrangeSum
politics; 14,400 sentences are 30 % more real sentences.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from round12 import choose  # noqa: E402  round 12's draw, without its topic

SEED = 20261215
ROUND = 15
SENTENCES = 14400
ANY_ARTICLE = re.compile("")


def main():
    choose(Path(sys.argv[1]), ANY_ARTICLE, SEED, ROUND, SENTENCES, 0.0)


if __name__ == "__main__":
    main()
