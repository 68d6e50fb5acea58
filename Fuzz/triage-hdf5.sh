#!/usr/bin/env bash
# Sorts the crash and timeout inputs that fuzz-hdf5 saved into those that fail inside libhdf5
# and those that fail in this project's code, and checks that `rbm` contains every one of them.
#
#   Fuzz/triage-hdf5.sh <artifact folder> <fuzz-hdf5 binary> <rbm binary>
#
# For each input: replays it once under the fuzzer binary (AddressSanitizer) and takes the
# first stack frame that is not a sanitizer interceptor or libc; then runs `rbm inspect` on it,
# which reads the file in a child process, and requires an ordinary exit (0 or 1) within the
# time limit — a signal or a hang there would mean the isolation failed.
# Exits 1 if any input fails in this project's code or is not contained.
set -u
artifacts=$1 fuzzer=$2 rbm=$3
ours=0 library=0 uncontained=0 total=0
declare -A kinds
for input in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
  [ -e "$input" ] || continue
  total=$((total + 1))
  report=$(SWIFT_BACKTRACE=enable=no timeout 60 "$fuzzer" -runs=1 -timeout=2 -rss_limit_mb=4000 \
             -malloc_limit_mb=2000 -detect_leaks=0 "$input" 2>&1)
  kind=$(grep -m1 -oE "ERROR: (AddressSanitizer|libFuzzer): [A-Za-z -]+" <<<"$report" \
           | sed -E 's/ERROR: //; s/ (on|after) .*//; s/ +$//')
  frame=$(grep -E "^ +#[0-9]+ 0x[0-9a-f]+ " <<<"$report" \
            | grep -vE "compiler-rt|libc\.so|libc-start|libc_start|__interceptor|(^| )(malloc|calloc|realloc|free|memcpy|memmove|strdup|strlen)( |$)" \
            | head -1)
  if [ -z "$kind" ]; then
    kind="does not reproduce alone"
    where="-"
  elif grep -q "libhdf5" <<<"$frame"; then
    where=libhdf5
    library=$((library + 1))
  else
    where=ours
    ours=$((ours + 1))
    echo "IN THIS PROJECT: $input: $kind"
    echo "$frame"
  fi
  kinds["$where: $kind"]=$(( ${kinds["$where: $kind"]:-0} + 1 ))

  RBM_HDF5_READ_TIMEOUT=5 timeout 30 "$rbm" inspect --no-config "$input" >/dev/null 2>&1
  status=$?
  if [ $status -ne 0 ] && [ $status -ne 1 ]; then
    uncontained=$((uncontained + 1))
    echo "NOT CONTAINED: rbm inspect $input exited with status $status"
  fi
done
echo "triage of $total saved inputs: $library fail inside libhdf5, $ours in this project's code, $uncontained not contained by rbm"
for key in "${!kinds[@]}"; do printf '  %5d  %s\n' "${kinds[$key]}" "$key"; done | sort -rn
[ $ours -eq 0 ] && [ $uncontained -eq 0 ]
