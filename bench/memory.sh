#!/usr/bin/env bash
# The council book under memory limits, against the same run without one:
#   bash bench/memory.sh [CHILDREN [LIMIT...]]     (default: 5000000 with 256MB and 64MB)
# For Parquet and CSV it generates five years of data with `synth` (cached under
# ~/.cache/scorebook-bench), runs `scorebook run rules/ --as-of 2014-03-31` once without a
# limit and once under each `--memory-limit` (spilling to a scratch directory), and prints a
# Markdown table: the exit code, wall time and peak resident memory of each run, whether its
# book is byte for byte the unlimited one, and the first line of the error of a run that stops.
# A run that stops must stop with exit 2 and name the limit; any other ending fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/scorebook-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/scorebook"
cache="${SCOREBOOK_BENCH_DIR:-$HOME/.cache/scorebook-bench}"
n="${1:-5000000}"
shift || true
limits=("$@")
[ ${#limits[@]} -eq 0 ] && limits=(256MB 64MB)
as_of=2014-03-31
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/spill"

source bench/timing.sh

echo "| children | format | rows | --memory-limit | exit | wall time | peak memory | same book as unlimited | error |"
echo "|---:|---|---:|---:|---:|---:|---:|---|---|"
for format in parquet csv; do
  data="$cache/$n-$format"
  council_data "$bin" "$data" "$n" "$format" "$as_of"
  rows="$(cat "$data/.rows")"
  for limit in none "${limits[@]}"; do
    args=(run rules --data "$data" --as-of "$as_of" --format csv --out "$work/$limit.csv")
    [ "$limit" != none ] && args+=(--memory-limit "$limit" --spill-dir "$work/spill")
    set +e
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" "${args[@]}" 2>"$work/err" >/dev/null
    code=$?
    set -e
    # time writes "Command exited with non-zero status N" first when the run fails.
    read -r seconds kb < <(tail -n 1 "$work/time")
    same=""
    error=""
    if [ "$code" -eq 0 ]; then
      if [ "$limit" = none ]; then
        same="(the reference)"
      elif cmp -s "$work/none.csv" "$work/$limit.csv"; then
        same="yes"
      else
        echo "the book under --memory-limit $limit differs from the unlimited one" >&2
        exit 1
      fi
    elif [ "$code" -eq 2 ] && grep -q "more memory than its limit of" "$work/err"; then
      error="$(grep -m1 '^error:' "$work/err" | cut -c1-160 | sed 's/|/\\|/g')"
    else
      echo "the run under --memory-limit $limit ended with exit $code:" >&2
      cat "$work/err" >&2
      exit 1
    fi
    [ -z "$(ls -A "$work/spill")" ] || { echo "spill files were left in $work/spill" >&2; exit 1; }
    printf '| %s | %s | %s | %s | %s | %s s | %s MB | %s | %s |\n' "$n" "$format" "$rows" "$limit" "$code" \
      "$seconds" "$((kb / 1024))" "$same" "$error"
  done
done
