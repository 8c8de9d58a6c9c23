#!/usr/bin/env python3
"""Round 14: whole OrangeSum articles drawn at random, completed.

    python3 data/annotation/round14.py SEGMENTED_DIR

Run on data 2.11.0 (commit 4ac7605), it gives round 14's sentences; on later data, which holds them, it
chooses among the articles left. SEGMENTED_DIR is as for `round12.py`, whose draw this
repeats with its own seed and no topic: every train-side OrangeSum article not yet
complete in the data set, with 4 to 60 sentences left, may be drawn; each drawn article
is completed. Writes target/annotation/pool.jsonl, pool `whole`, round 14.

Why: the learning curve of the defaults (README, *More annotated news, or unlabeled
news?*) rises by 0.03 to 0.04 of real CV macro-F1 for each doubling of the real
articles, with no sign of flattening; the articles on foreign affairs are nearly all
labeled (rounds 12 and 13), and Wikinews has no train-side sentence left. So this round
is three times the size of the earlier ones, drawn the way round 7 drew, at random,
which also adds to the whole-article mix that chooses the none bias.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from round12 import choose  # noqa: E402  round 12's draw, without its topic

SEED = 20261214
ROUND = 14
SENTENCES = 7200
ANY_ARTICLE = re.compile("")


def main():
    choose(Path(sys.argv[1]), ANY_ARTICLE, SEED, ROUND, SENTENCES, 0.0)


if __name__ == "__main__":
    main()
