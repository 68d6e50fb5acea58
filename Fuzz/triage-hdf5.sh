#!/usr/bin/env bash
# Sorts the crash and timeout inputs that fuzz-hdf5 saved into those that fail inside libhdf5
# and those that fail in this project's code, and checks that `rbm` contains every one of them.
#
#   Fuzz/triage-hdf5.sh <artifact folder> <fuzz-hdf5 binary> <rbm binary>
#
# For each input: replays it once under the fuzzer binary (AddressSanitizer) and takes the
# innermost stack frame in libhdf5 or in this project's sources; then runs `rbm inspect` on it,
# which reads the file in a child process, and requires an ordinary exit (0 or 1) within the
# time limit — a signal or a hang there would mean the isolation failed. The report also names
# the line of this project's code that called into libhdf5, for reviewing those calls (a
# too-small buffer handed to libhdf5 would crash inside libhdf5 too).
# Hangs cost seconds each (libhdf5 loops until the time limit), so of the timeout inputs only
# TRIAGE_TIMEOUTS (default 60), spread evenly over them by name, are replayed. Inputs are
# replayed in `nproc` processes at once.
# Exits 1 if any input fails in this project's code or is not contained.
set -u
artifacts=$1
export fuzzer=$2 rbm=$3

# One input -> one line: where<TAB>kind<TAB>caller<TAB>rbm status<TAB>input
triage_one() {
  local input=$1 report kind function frame where caller status
  report=$(SWIFT_BACKTRACE=enable=no timeout 60 "$fuzzer" -runs=1 -timeout=1 -rss_limit_mb=4000 \
             -malloc_limit_mb=2000 -detect_leaks=0 "$input" 2>&1)
  kind=$(grep -m1 -oE "ERROR: (AddressSanitizer|libFuzzer): [A-Za-z -]+" <<<"$report" \
           | sed -E 's/ERROR: //; s/ (on|after) .*//; s/ +$//')
  # The innermost frame in either libhdf5 or this project's sources: frames of libc (named by
  # its source files, e.g. memmove-vec-unaligned-erms.S), the sanitizers and libFuzzer sit
  # above both and say nothing about whose call went wrong.
  frame=$(grep -E "^ +#[0-9]+ 0x[0-9a-f]+ " <<<"$report" | grep -m1 -E "libhdf5|/Sources/")
  # The function ASan names in its summary line (exported libhdf5 symbols only).
  function=$(grep -m1 "^SUMMARY" <<<"$report" | grep -oE " in [A-Za-z0-9_]+ *$" | sed 's/ *$//')
  kind="$kind$function"
  if [ -z "$kind" ]; then
    where="-" kind="does not reproduce alone"
  elif grep -q "libhdf5" <<<"$frame"; then
    where=libhdf5
  else
    where=ours
  fi
  caller=$(grep -m1 -oE "Sources/[A-Za-z0-9]+/[A-Za-z0-9]+\.swift:[0-9]+" <<<"$report")
  RBM_HDF5_READ_TIMEOUT=2 timeout 30 "$rbm" inspect --no-config "$input" >/dev/null 2>&1
  status=$?
  printf '%s\t%s\t%s\t%s\t%s\n' "$where" "$kind" "${caller:--}" "$status" "$input"
}
export -f triage_one

shopt -s nullglob
timeouts=("$artifacts"/timeout-*)
sampled=()
wanted=${TRIAGE_TIMEOUTS:-60}
if [ ${#timeouts[@]} -le "$wanted" ]; then
  sampled=("${timeouts[@]}")
else
  for ((i = 0; i < wanted; i++)); do sampled+=("${timeouts[$((i * ${#timeouts[@]} / wanted))]}"); done
fi
inputs=("$artifacts"/crash-* "$artifacts"/oom-* "${sampled[@]}")
echo "triage: ${#inputs[@]} inputs (every crash and out-of-memory input; ${#sampled[@]} of ${#timeouts[@]} timeouts)"
[ ${#inputs[@]} -gt 0 ] || exit 0

lines=$(printf '%s\0' "${inputs[@]}" | xargs -0 -n1 -P"$(nproc)" bash -c 'triage_one "$0"')
ours=$(awk -F'\t' '$1 == "ours"' <<<"$lines")
uncontained=$(awk -F'\t' '$4 != 0 && $4 != 1' <<<"$lines")
[ -n "$ours" ] && { echo "FAILING IN THIS PROJECT'S CODE:"; echo "$ours"; }
[ -n "$uncontained" ] && { echo "NOT CONTAINED BY rbm inspect (status in column 4):"; echo "$uncontained"; }
echo "triage of ${#inputs[@]} inputs: $(grep -c "^libhdf5" <<<"$lines") fail inside libhdf5," \
     "$(grep -c . <<<"$ours") in this project's code, $(grep -c . <<<"$uncontained") not contained by rbm"
awk -F'\t' '{ print $1 ": " $2 ($3 == "-" ? "" : ", called from " $3) }' <<<"$lines" | sort | uniq -c | sort -rn
[ -z "$ours" ] && [ -z "$uncontained" ]
