#!/usr/bin/env python3
"""Quick self-check for a constructed batch file: python3 tools/check_batch.py data/constructed/X.jsonl"""
import json, sys, unicodedata, re, collections
LABELS = {"demand", "refusal", "warning", "offer", "none"}
def norm(t):
    t = unicodedata.normalize("NFKD", t.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", t).strip()
ok = True
for path in sys.argv[1:]:
    seen_ids, seen_norm, counts = set(), {}, collections.Counter()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        try:
            r = json.loads(line)
        except Exception as e:
            print(f"{path}:{n}: bad JSON: {e}"); ok = False; continue
        for k in ("id", "text", "label", "actor", "source"):
            if k not in r: print(f"{path}:{n}: missing {k}"); ok = False
        if r.get("label") not in LABELS: print(f"{path}:{n}: bad label {r.get('label')}"); ok = False
        also = r.get("also", [])
        if any(a not in LABELS for a in also) or r.get("label") in also or len(set(also)) != len(also):
            print(f"{path}:{n}: bad also {also}"); ok = False
        if r.get("id") in seen_ids: print(f"{path}:{n}: duplicate id {r.get('id')}"); ok = False
        seen_ids.add(r.get("id"))
        k = norm(r.get("text", ""))
        if k in seen_norm: print(f"{path}:{n}: near-duplicate of line {seen_norm[k]}"); ok = False
        seen_norm[k] = n
        counts[r.get("label")] += 1
    print(path, dict(counts), "total", sum(counts.values()))
sys.exit(0 if ok else 1)
