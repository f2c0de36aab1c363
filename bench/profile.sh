#!/usr/bin/env bash
# Profiles `scorebook run rules/` over generated data with perf, with symbols and line tables:
#   bash bench/profile.sh [CHILDREN] [FORMAT]        (default: 1000000 parquet)
# Builds the `profiling` profile (release optimisation, line tables; its own directory under the
# target directory, so a first build compiles DataFusion again), generates the data as
# bench/run.sh does (cached under ~/.cache/scorebook-bench), records the run with
# `perf record --call-graph dwarf`, and prints the run's stage times (`--timings`) and perf's
# heaviest functions, with and without their callees. perf.data is left in the project's
# directory (ignored by git) for `perf report`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/scorebook-target}"
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
cargo build --profile profiling --quiet
bin="$CARGO_TARGET_DIR/profiling/scorebook"
n="${1:-1000000}"
format="${2:-parquet}"
as_of=2014-03-31
data="${SCOREBOOK_BENCH_DIR:-$HOME/.cache/scorebook-bench}/$n-$format"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source bench/timing.sh
council_data "$bin" "$data" "$n" "$format" "$as_of"
"$bin" run rules --data "$data" --as-of "$as_of" --format csv --out "$work/book.csv" --timings 2>&1 |
  sed -n '/^timings:/,$p'
perf record --quiet -F 999 --call-graph dwarf,32768 -o perf.data \
  "$bin" run rules --data "$data" --as-of "$as_of" --format csv --out "$work/book.csv" 2>/dev/null
echo
# The runtime's and the standard library's frames hold every sample: leave them out.
generic='clone3|start_thread|thread_start|call_once|catch_unwind|do_call|backtrace|tokio::|std::|core::|futures|\(inlined\)|\{closure'
echo "Heaviest functions, with their callees (the runtime's frames left out):"
perf report -i perf.data --children --sort symbol -g none --percent-limit 4 2>/dev/null | grep -v '^#' | grep -v '^$' |
  grep -Ev "$generic" | awk 'NR <= 30' | cut -c1-160
echo
echo "Heaviest functions, by themselves:"
perf report -i perf.data --no-children --sort symbol -g none --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' | cut -c1-160
