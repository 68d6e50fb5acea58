#!/usr/bin/env bash
# Shows that this work tree trains bit for bit what another revision trains: builds both in
# release mode, runs the same short experiments with the same seed, and compares every dataset
# of checkpoint.h5 and features.h5 (exactly, as bits), the pictures (bytes) and metrics.csv
# (every column but the timings).
#
# The experiments: PCD-1, CD-2 with periodic AIS evaluation, FPCD with centering, parallel
# tempering, Gaussian and categorical visible units, hidden blocks and visible blocks; PCD-1
# again on 1 and 3 workers in the work tree (the base runs every experiment on its default
# workers), and, where mpirun is installed, CD-2 on 2 ranks × 1 worker in the work tree.
#
#   scripts/bit-identical.sh [REV]        # REV defaults to HEAD (the last commit)
#
# Needs the Fashion-MNIST package (`make deps`) and h5py. Takes several minutes (two builds).
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
       --set evaluation.monitor_samples=500 --quiet)
bernoulli=(experiments/default.yaml --set training.learning_rate=0.05)
cd2="--set training.sampler=cd --set training.gibbs_steps=2 --set evaluation.every=1 --set evaluation.samples=300 --set evaluation.ais_runs=8 --set evaluation.ais_betas=300"
# name | config and settings for both sides | what only the work tree's side adds in front or after
experiments=(
  "pcd|default||"
  "cd|default $cd2||"
  "fpcd-centred|default --set training.sampler=fpcd --set model.centering=true||"
  "pt|default --set training.sampler=pt --set training.temperatures=3||"
  "gaussian|experiments/fashion-gaussian.yaml --set model.hidden=64||"
  "categorical|experiments/fashion-categorical.yaml --set model.hidden=64 --set evaluation.every=0||"
  "hidden-blocks|default --set training.shards=1 --set training.hidden_blocks=2||"
  "visible-blocks|default --set training.shards=1 --set training.visible_blocks=2 --set training.batch_size=10||"
  "pcd-1-worker|default||--workers 1"
  "pcd-3-workers|default||--workers 3"
)
mpirun=$(command -v mpirun || true)
if [ -n "$mpirun" ]; then
  # A fixed layout on both sides: training.layout: auto picks by cores × ranks.
  experiments+=("cd-2-ranks|default $cd2 --set training.shards=2|$mpirun --oversubscribe $([ "$(id -u)" = 0 ] && echo --allow-run-as-root) -np 2|--workers 1")
fi
names=()
for experiment in "${experiments[@]}"; do
  IFS='|' read -r name settings launcher suffix <<< "$experiment"
  names+=("$name")
  read -r -a arguments <<< "${settings/#default/${bernoulli[*]}}"
  for side in base tree; do
    binary=$([ $side = base ] && echo "$work/base/.build/release/rbm" || echo ".build/release/rbm")
    read -r -a front <<< "$([ $side = tree ] && echo "$launcher")"
    read -r -a back <<< "$([ $side = tree ] && echo "$suffix")"
    # The base side of the "-worker(s)" and "-ranks" variants is the plain experiment's.
    "${front[@]}" "$binary" train "${arguments[@]}" "${short[@]}" "${back[@]}" \
      --set output.folder="$work/runs-$side" --set output.name="$name" >/dev/null
  done
  echo "== trained $name"
done

python3 - "$work" "${names[@]}" <<'PY'
import sys, csv, h5py, numpy as np, os
work = sys.argv[1]
def datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found
timing = {"samples_per_second", "seconds"}
problems = 0
for name in sys.argv[2:]:
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
        if not os.path.exists(f"{a}/{picture}"): continue
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
