#!/usr/bin/env bash
# Regenerates the benchmark: every system's predictions under benchmark/predictions/
# (by running the commands its system.json gives: "train", then one per split; a
# command shared by several systems or splits runs once), then the tables of
# BENCHMARK.md from them.
#
#   benchmark/regenerate.sh                 every system
#   benchmark/regenerate.sh demarche majority
#                                           only those (folder names); the tables are
#                                           rebuilt from all the committed predictions
#
# Needs a Rust toolchain and, for the peers, `pip install -r benches/peers/requirements.txt`.
# The commands are run from the repository root with bash -o pipefail.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --bin train --bin classify --example baselines --example leaderboard
mkdir -p models/benchmark

python3 - "$@" <<'PY'
import json
import subprocess
import sys
from pathlib import Path

SPLITS = ["real", "seeds", "constructed"]
folders = sys.argv[1:] or sorted(p.parent.name for p in Path("benchmark/predictions").glob("*/system.json"))
done = set()
for folder in folders:
    meta = Path("benchmark/predictions", folder, "system.json")
    if not meta.is_file():
        sys.exit(f"regenerate.sh: no {meta}")
    info = json.loads(meta.read_text(encoding="utf-8"))
    commands = [info.get("train")] + [info["commands"][s] for s in SPLITS if s in info["commands"]]
    for command in commands:
        if command and command not in done:
            done.add(command)
            print(f"+ {command}", file=sys.stderr, flush=True)
            subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True)
PY

cargo run --release --example leaderboard -- --write
