#!/usr/bin/env bash
# Runs the book on a real Ballista cluster on loopback and checks it against the local run:
#   bash bench/ballista.sh [CHILDREN]            (default: 1000000)
# Builds scorebook and the project's own scheduler and executor binaries (release, with
# `--features ballista`, sharing the project's target directory), generates five years of
# Parquet with `synth` and splits every source into a directory of PARTS files (default 4),
# then for 1 and 2 executors: starts a scheduler and the executors on 127.0.0.1, runs
# `scorebook run rules/ --engine ballista://127.0.0.1:PORT` RUNS times (default 3), checks that
# the result is byte-identical to the local run's, and stops them. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/scorebook-target}"
cargo build --release --quiet --features ballista --bins
bin="$CARGO_TARGET_DIR/release"
python3 -c 'import duckdb' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore duckdb
n="${1:-1000000}"
parts="${PARTS:-4}"
runs="${RUNS:-3}"
port="${PORT:-50050}"
as_of=2014-03-31
cache="${SCOREBOOK_BENCH_DIR:-$HOME/.cache/scorebook-bench}"
work="$(mktemp -d)"
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop; rm -rf "$work"' EXIT

# Every source as a directory of $parts Parquet files (rows dealt out in turn).
data="$cache/$n-parquet-$parts-parts"
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data" "$work/synth"
  "$bin/scorebook" synth --children "$n" --from 2009-04-01 --to "$as_of" --format parquet --out "$work/synth" 2>/dev/null
  python3 - "$work/synth" "$data" "$parts" <<'PY'
import duckdb, os, sys
src, dst, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
for f in sorted(os.listdir(src)):
    table = f.removesuffix(".parquet")
    os.makedirs(os.path.join(dst, table))
    for k in range(parts):
        out = os.path.join(dst, table, f"part-{k}.parquet")
        con.execute(f"COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet('{src}/{f}', file_row_number = true) WHERE file_row_number % {parts} = {k}) TO '{out}' (FORMAT parquet)")
PY
  touch "$data/.complete"
fi

"$bin/scorebook" run rules --data "$data" --as-of "$as_of" --format csv --out "$work/local.csv" 2>/dev/null

# waits until something listens on 127.0.0.1:$1
listening() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "| executors | children | files per source | median time | local run | same result |"
echo "|---:|---:|---:|---:|---:|---|"
local_times=()
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e" -o "$work/time" "$bin/scorebook" run rules --data "$data" --as-of "$as_of" --format csv --out "$work/local.csv" 2>/dev/null
  local_times+=("$(cat "$work/time")")
done
local_median="$(printf '%s\n' "${local_times[@]}" | median)"
for executors in 1 2; do
  "$bin/scorebook-scheduler" --port "$port" >"$work/scheduler.log" 2>&1 &
  pids+=($!)
  listening "$port"
  for e in $(seq "$executors"); do
    flight=$((port + 10 * e)) grpc=$((port + 10 * e + 1))
    mkdir -p "$work/executor-$e"
    "$bin/scorebook-executor" --port "$flight" --grpc-port "$grpc" --scheduler-port "$port" \
      --concurrent-tasks "${TASKS:-2}" --work-dir "$work/executor-$e" >"$work/executor-$e.log" 2>&1 &
    pids+=($!)
    listening "$flight"
  done
  sleep 1
  times=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" -o "$work/time" "$bin/scorebook" run rules --engine "ballista://127.0.0.1:$port" \
      --data "$data" --as-of "$as_of" --format csv --out "$work/cluster.csv" 2>"$work/run.err" || {
      cat "$work/run.err" "$work/scheduler.log" >&2
      exit 1
    }
    times+=("$(cat "$work/time")")
  done
  same=no
  cmp -s "$work/local.csv" "$work/cluster.csv" && same=yes
  printf '| %s | %s | %s | %s s | %s s | %s |\n' "$executors" "$n" "$parts" \
    "$(printf '%s\n' "${times[@]}" | median)" "$local_median" "$same"
  stop
  [ "$same" = yes ] || { diff "$work/local.csv" "$work/cluster.csv" | head >&2; exit 1; }
done
