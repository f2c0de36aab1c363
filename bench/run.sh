#!/usr/bin/env bash
# Times `scorebook run rules/` as a whole process over generated data, against DuckDB running
# the same book in hand-written SQL over the same files:
#   bash bench/run.sh [CHILDREN...]        (default: 100000 1000000 5000000 20000000)
#   HISTORIES=dense bash bench/run.sh ...  (children with dense histories: `synth --histories dense`)
# For each size and format (Parquet, CSV) it generates five years of data with `synth`
# (cached under ~/.cache/scorebook-bench), then runs, RUNS times each (default 3):
#   - scorebook run rules/ --as-of 2014-03-31
#   - bench/duckdb_book.py per-measure: one DuckDB query per measure and period
#   - bench/duckdb_book.py tuned: one hand-tuned DuckDB query per source
# checks that the three agree on every numerator, denominator and value (it stops if not),
# and prints median wall times, peak resident memory, rows per second and the ratios as a
# Markdown table, then where scorebook's time went in each (`run --timings`, one more run).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/scorebook-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/scorebook"
python3 -c 'import duckdb' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore duckdb
cache="${SCOREBOOK_BENCH_DIR:-$HOME/.cache/scorebook-bench}"
runs="${RUNS:-3}"
histories="${HISTORIES:-sparse}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100000 1000000 5000000 20000000)
as_of=2014-03-31
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

source bench/timing.sh

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "| children | format | rows | data size | scorebook | peak memory | rows per second | DuckDB per measure | DuckDB tuned | scorebook / tuned | per measure / scorebook |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  for format in parquet csv; do
    data="$cache/$n-$format"
    [ "$histories" = sparse ] || data="$data-$histories"
    council_data "$bin" "$data" "$n" "$format" "$as_of" "$histories"
    rows="$(cat "$data/.rows")"
    size="$(du -sh --apparent-size "$data" | cut -f1)"

    timed "$runs" "$bin" run rules --data "$data" --as-of "$as_of" --format csv --out "$work/book.csv"
    ours="$median" ours_peak="$peak"
    {
      echo
      echo "$n children, $format:"
      "$bin" run rules --data "$data" --as-of "$as_of" --format csv --out "$work/timed.csv" --timings 2>&1 \
        | sed -n '/^timings:/,$p' | tail -n +2
    } >> "$work/timings"
    timed "$runs" python3 bench/duckdb_book.py per-measure "$data" "$as_of" "$work/per-measure.csv"
    per_measure="$median"
    timed "$runs" python3 bench/duckdb_book.py tuned "$data" "$as_of" "$work/tuned.csv"
    tuned="$median"
    python3 bench/duckdb_book.py compare "$work/book.csv" "$work/per-measure.csv" "$work/tuned.csv" >&2

    rate="$(awk -v r="$rows" -v t="$ours" 'BEGIN {printf "%d", r / t}')"
    printf '| %s | %s | %s | %s | %s s | %s MB | %s | %s s | %s s | %s | %s |\n' "$n" "$format" "$rows" "$size" \
      "$ours" "$ours_peak" "$rate" "$per_measure" "$tuned" "$(ratio "$ours" "$tuned")" "$(ratio "$per_measure" "$ours")"
  done
done

echo
echo "Where scorebook's time went (\`run --timings\`; stages marked side by side overlap):"
cat "$work/timings"
