#!/usr/bin/env bash
# The L-BFGS memory's effect on fitting: iterations and whole-process wall time of
# `train` with --lbfgs-memory 3, 4, 5, 6 and 10 (linfa-logistic's), one thread, on the
# constructed split, on data/train at three L2 strengths, and on a 200,000-sentence
# resample. Every fit of a problem reaches the same objective; only the path differs.
#
#   benches/solver/lbfgs_memory.sh [SAMPLE]   # SAMPLE: a resample, made if missing
set -euo pipefail
cd "$(dirname "$0")/../.."
sample=${1:-target/resample-200000.jsonl}
cargo build --release --quiet --bin train --example resample
[ -f "$sample" ] || target/release/examples/resample 200000 "$sample"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| data | L2 | memory | iterations | objective | wall (one thread) |\n|---|---:|---:|---:|---:|---:|\n'
for problem in "data/train/constructed 0.01" "data/train 0.003" "data/train 0.01" "data/train 0.1" "$sample 0.01"; do
  read -r data l2 <<<"$problem"
  for memory in 3 4 5 6 10; do
    RAYON_NUM_THREADS=1 /usr/bin/time -f "%e" -o "$out/time" target/release/train \
      --data "$data" --l2 "$l2" --lbfgs-memory "$memory" --out "$out/m.json" >"$out/log" 2>&1
    # "solver         sparse: 152 iterations (L-BFGS memory 6), objective 5418.997257, …"
    read -r iterations objective < <(sed -n 's/^solver .*: \([0-9]*\) iterations.*objective \([0-9.]*\),.*/\1 \2/p' "$out/log")
    printf '| %s | %s | %s | %s | %s | %s s |\n' "$data" "$l2" "$memory" "$iterations" "$objective" "$(cat "$out/time")"
  done
done
