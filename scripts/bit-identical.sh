#!/usr/bin/env bash
# Shows that this work tree trains bit for bit what another revision trains: builds both in
# release mode, runs the same short experiments (PCD-1, and CD-2 with periodic AIS evaluation)
# with the same seed, and compares every dataset of checkpoint.h5 and features.h5 (exactly, as
# bits), the pictures (bytes) and metrics.csv (every column but the timings).
#
#   scripts/bit-identical.sh [REV]        # REV defaults to HEAD (the last commit)
#
# Needs the Fashion-MNIST package (`make deps`) and h5py. Takes a few minutes (two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "== building $rev in a temporary worktree"
git worktree add --detach "$work/base" "$rev" >/dev/null
(cd "$work/base" && swift build -c release 2>&1 | tail -1)
echo "== building the work tree"
swift build -c release 2>&1 | tail -1

short=(--set training.epochs=2 --set data.train_samples=4000 --set data.validation=1000
       --set evaluation.monitor_samples=500 --set training.learning_rate=0.05 --quiet)
experiments=(
  "pcd:"
  "cd:--set training.sampler=cd --set training.gibbs_steps=2 --set evaluation.every=1 --set evaluation.samples=300 --set evaluation.ais_runs=8 --set evaluation.ais_betas=300"
)
for experiment in "${experiments[@]}"; do
  name=${experiment%%:*}
  read -r -a extra <<< "${experiment#*:}"
  for side in base tree; do
    binary=$([ $side = base ] && echo "$work/base/.build/release/rbm" || echo ".build/release/rbm")
    "$binary" train experiments/default.yaml "${short[@]}" "${extra[@]}" \
      --set output.folder="$work/runs-$side" --set output.name="$name" >/dev/null
  done
done

python3 - "$work" <<'PY'
import sys, csv, h5py, numpy as np, os
work = sys.argv[1]
def datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found
timing = {"samples_per_second", "seconds"}
problems = 0
for name in ("pcd", "cd"):
    a, b = f"{work}/runs-base/{name}", f"{work}/runs-tree/{name}"
    for file in ("checkpoint.h5", "features.h5"):
        da, db = datasets(f"{a}/{file}"), datasets(f"{b}/{file}")
        if set(da) != set(db):
            print(f"{name}/{file}: datasets differ: {sorted(set(da) ^ set(db))}"); problems += 1
        for key in sorted(set(da) & set(db)):
            x, y = da[key], db[key]
            if key.startswith("history/") and key.split("/")[1] in timing: continue
            same = x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x.view(np.uint8), y.view(np.uint8))
            if not same:
                print(f"{name}/{file}:{key}: NOT bit-identical"); problems += 1
        print(f"{name}/{file}: {len(da)} datasets compared")
    for picture in ("filters.png", "reconstructions.png", "samples.png"):
        if open(f"{a}/{picture}", "rb").read() != open(f"{b}/{picture}", "rb").read():
            print(f"{name}/{picture}: differs"); problems += 1
    rows = [list(csv.DictReader(open(f"{side}/metrics.csv"))) for side in (a, b)]
    for ra, rb in zip(*rows):
        for column in ra:
            if column not in timing and ra[column] != rb[column]:
                print(f"{name}/metrics.csv epoch {ra['epoch']} {column}: {ra[column]} vs {rb[column]}"); problems += 1
    print(f"{name}/metrics.csv: {len(rows[0])} epochs compared, pictures compared")
print("bit-identical" if problems == 0 else f"{problems} difference(s)")
sys.exit(1 if problems else 0)
PY
