#!/usr/bin/env bash
# Times `scorebook run rules/` as a whole process over generated data:
#   bash bench/run.sh [CHILDREN...]        (default: 100000 1000000 5000000)
# For each size and format (Parquet, CSV) it generates five years of data with `synth`
# (cached under ~/.cache/scorebook-bench), runs the book RUNS times (default 3), and prints the
# median wall time, the peak resident memory and rows per second, as a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/scorebook-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/scorebook"
cache="${SCOREBOOK_BENCH_DIR:-$HOME/.cache/scorebook-bench}"
runs="${RUNS:-3}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100000 1000000 5000000)
as_of=2014-03-31
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "| children | format | rows | data size | median time | peak memory | rows per second |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  for format in parquet csv; do
    data="$cache/$n-$format"
    if [ ! -f "$data/.complete" ]; then
      rm -rf "$data"
      # synth reports "wrote 14 tables, N rows, ..." on stderr.
      "$bin" synth --children "$n" --from 2009-04-01 --to "$as_of" --format "$format" --out "$data" 2>&1 >/dev/null \
        | sed -nE 's/.* ([0-9]+) rows.*/\1/p' > "$work/rows"
      mv "$work/rows" "$data/.rows"
      touch "$data/.complete"
    fi
    rows="$(cat "$data/.rows")"
    size="$(du -sh --apparent-size "$data" | cut -f1)"
    times=()
    peak=0
    for _ in $(seq "$runs"); do
      /usr/bin/time -f "%e %M" -o "$work/time" \
        "$bin" run rules --data "$data" --as-of "$as_of" --format csv --out "$work/book.csv" 2>/dev/null
      read -r seconds kb < "$work/time"
      times+=("$seconds")
      [ "$kb" -gt "$peak" ] && peak="$kb"
    done
    median="$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
    rate="$(awk -v r="$rows" -v t="$median" 'BEGIN {printf "%d", r / t}')"
    printf '| %s | %s | %s | %s | %s s | %s MB | %s |\n' "$n" "$format" "$rows" "$size" "$median" "$((peak / 1024))" "$rate"
  done
done
