# Sourced by the bench scripts; needs $work (a scratch directory).
# timed N COMMAND...: runs COMMAND N times; sets median (seconds) and peak (MB); stops the
# script with COMMAND's errors if a run fails.
timed() {
  local n="$1" times=() seconds kb
  shift
  peak=0
  for _ in $(seq "$n"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" 2>"$work/err" >/dev/null || {
      cat "$work/err" >&2
      exit 1
    }
    read -r seconds kb < "$work/time"
    times+=("$seconds")
    [ "$kb" -gt "$peak" ] && peak="$kb"
  done
  peak=$((peak / 1024))
  median="$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
}
