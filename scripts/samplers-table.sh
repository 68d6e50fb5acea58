#!/usr/bin/env bash
# The samplers side by side on MNIST (experiments/mnist-pcd-500.yaml: 784→500, stochastic
# binarization, batch 100), the same epoch budget for each: PCD-1, FPCD-1 and PT-1 with 5
# temperatures (β from 1 down to 0.8), each with and without centering. Each run is then evaluated on the 10,000 test
# images with AIS (100 runs × 14,500 β) and a Markdown table printed: test log-likelihood with
# its band, and training time.
#
#   scripts/samplers-table.sh [EPOCHS] [MNIST_FOLDER] [VARIANTS…]     # defaults: 100, ../shared/data/mnist, all six
#
# Variants: pcd, pcd-centered, fpcd, fpcd-centered, pt, pt-centered. Runs go to runs/samplers/.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-100}
mnist=${2:-../shared/data/mnist}
shift $(( $# > 2 ? 2 : $# ))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(pcd pcd-centered fpcd fpcd-centered pt pt-centered)
rbm=.build/release/rbm
[ -x $rbm ] || swift build -c release
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $epochs epochs each"
rows=()
for variant in "${variants[@]}"; do
  case $variant in
    pcd*) sampler=(--set training.sampler=pcd) ;;
    fpcd*) sampler=(--set training.sampler=fpcd --set training.fast_learning_rate=0.01 --set training.fast_decay=0.95) ;;
    pt*) sampler=(--set training.sampler=pt --set training.temperatures=5 --set training.min_inverse_temperature=0.8) ;;
    *) echo "unknown variant $variant" >&2; exit 2 ;;
  esac
  centering=false
  [[ $variant == *-centered ]] && centering=true
  folder=runs/samplers/$variant
  echo "== $variant"
  $rbm train experiments/mnist-pcd-500.yaml --quiet --force --set data.path="$mnist" --set training.epochs="$epochs" \
    "${sampler[@]}" --set model.centering=$centering --set output.folder=runs/samplers --set output.name="$variant" \
    --set output.pictures=false | tail -1
  seconds=$(python3 -c "import csv,sys; print(sum(float(r['seconds']) for r in csv.DictReader(open('$folder/metrics.csv'))))")
  report=$($rbm evaluate "$folder/checkpoint.h5" --split test --ais --no-pseudo-likelihood)
  echo "$report" | grep -E "log Z|average log-likelihood"
  ll=$(echo "$report" | sed -n 's/^average log-likelihood: \(.*\) nats \[\(.*\), \(.*\)\]/\1 [\2, \3]/p')
  swaps=$(python3 -c "
import csv
rows = list(csv.DictReader(open('$folder/metrics.csv')))
v = rows[-1].get('swap_acceptance_mean', '')
print(f'{100 * float(v):.0f} %' if v else '–')")
  rows+=("| $variant | $ll | $(python3 -c "print(f'{$seconds / 60:.1f}')") min | $swaps |")
done
echo
echo "| sampler | test log-likelihood (nats, AIS band) | training time | swaps accepted (last epoch) |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
