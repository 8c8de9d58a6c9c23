#!/usr/bin/env python3
"""Keeps the fields of the benchmark's predictions format from `classify`'s JSONL.

`classify` writes `id`, `text`, `label`, `probabilities` and `evidence`; `evaluate
--predictions` reads `id`, `label` and `probabilities` and ignores the rest. This
filter (standard input to standard output) drops `text` and `evidence`, so that the
committed predictions stay small. Values are copied unchanged (Python's float repr
round-trips every double).

    classify --input jsonl data/test/seeds.jsonl | python3 benchmark/slim.py > seeds.jsonl
"""

import json
import sys

for line in sys.stdin:
    if line.strip():
        record = json.loads(line)
        kept = {k: record[k] for k in ("id", "label", "probabilities") if k in record}
        sys.stdout.write(json.dumps(kept, ensure_ascii=False, separators=(",", ":")) + "\n")
