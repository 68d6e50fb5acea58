#!/usr/bin/env bash
# Kills fuzz-hdf5 jobs that have deadlocked, so that `make fuzz-hdf5` keeps both slots busy.
#
#   Fuzz/watchdog-hdf5.sh        (runs until killed; make fuzz-hdf5 starts and stops it)
#
# Why: libhdf5 loops for ever on some corrupt files, allocating as it goes. libFuzzer's
# timeout is a SIGALRM handler that writes the input out — and allocates to do so. When the
# alarm lands while the looping thread holds AddressSanitizer's allocator lock, the handler
# waits for that lock for ever (seen: gdb shows AlarmCallback -> WriteUnitToFileWithPrefix ->
# asan_malloc -> FutexWait above a GetFromAllocator frame). Such a job uses no CPU and holds one
# of the fork-mode slots until it is killed; with 2 slots, one deadlock halves the rate.
#
# A healthy job computes all the time, so a job that used less than MIN_CPU_TICKS of CPU over
# the last PERIOD seconds is deadlocked: it gets SIGKILL, libFuzzer's fork mode starts the next
# job in its slot, and the input it was stuck on (a libhdf5 hang, like the saved timeouts) is
# not saved. Each kill is logged on standard error.
set -u
period=${WATCHDOG_PERIOD:-10}
min_ticks=${WATCHDOG_MIN_CPU_TICKS:-20}   # clock ticks (1/100 s): 0.2 s of CPU in 10 s
declare -A last_ticks

while sleep "$period"; do
  declare -A seen=()
  # The jobs fork mode starts carry -max_total_time=; the parent process does not.
  for pid in $(ps -eo pid=,comm=,args= | awk '$2 == "fuzz-hdf5" && /-max_total_time=/ { print $1 }'); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    # Fields after the command name's closing parenthesis: utime and stime are the 12th and 13th.
    ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' <<<"$stat")
    seen[$pid]=1
    if [ -n "${last_ticks[$pid]:-}" ] && [ $((ticks - last_ticks[$pid])) -lt "$min_ticks" ]; then
      echo "watchdog: fuzz-hdf5 job $pid used $((ticks - last_ticks[$pid])) CPU ticks in ${period} s: deadlocked, killed" >&2
      kill -9 "$pid" 2>/dev/null
      unset "last_ticks[$pid]"
      continue
    fi
    last_ticks[$pid]=$ticks
  done
  for pid in "${!last_ticks[@]}"; do [ -n "${seen[$pid]:-}" ] || unset "last_ticks[$pid]"; done
  unset seen
done
