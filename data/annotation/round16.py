#!/usr/bin/env python3
"""Round 16: more whole OrangeSum articles drawn at random, completed.

    python3 data/annotation/round16.py SEGMENTED_DIR

Run on data 2.13.0 (commit 78fd9c4), it gives round 16's sentences; on later data, which holds them, it
chooses among the articles left. SEGMENTED_DIR is as for `round12.py`, whose draw this
repeats with its own seed and no topic: every train-side OrangeSum article not yet
complete in the data set, with 4 to 60 sentences left, may be drawn; each drawn article
is completed. Writes target/annotation/pool.jsonl, pool `whole`, round 16.

Why: as for rounds 14 and 15, whose draw this repeats with its own seed: the
learning curve of the defaults (README, *More annotated news, or unlabeled news?*)
still rises by 0.02 to 0.03 of real CV macro-F1 for each doubling of the real
articles on data 2.13.0, and the corpora's unlabeled train-side sentences are nearly
all OrangeSum politics; 14,400 sentences are 23 % more real sentences.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from round12 import choose  # noqa: E402  round 12's draw, without its topic

SEED = 20261216
ROUND = 16
SENTENCES = 14400
ANY_ARTICLE = re.compile("")


def main():
    choose(Path(sys.argv[1]), ANY_ARTICLE, SEED, ROUND, SENTENCES, 0.0)


if __name__ == "__main__":
    main()
